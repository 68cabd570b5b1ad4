import {Agent} from '../engine/agent.js';
import {describeJob, describeTransition} from '../engine/describe.js';
import type {EngineEvent} from '../engine/events.js';
import type {Channel} from '../transport/channel.js';
import type {ChannelSource} from './channel-source.js';
import {ChannelScope, sayHello, type HelloOptions} from './hello.js';
import type {GuestLog} from './log.js';
import type {GuestConfig} from './options.js';
import {registerGuestRpcs} from './rpcs/index.js';
import {getfileLimit} from './rpcs/getfile.js';
import {ShutdownScheduler} from './rpcs/shutdown.js';
import {ServedRegistry} from './served-registry.js';

export type GuestDaemonOptions = {
	readonly config: GuestConfig;
	readonly log: GuestLog;
	readonly source: ChannelSource;
	readonly hello?: HelloOptions;
};

/**
 * The guest end: one Agent serving the guest RPCs over whatever channel the source hands out,
 * saying va.hello each time a channel comes up.
 */
export class GuestDaemon {
	readonly agent: Agent;
	readonly #options: GuestDaemonOptions;
	readonly #shutdown: ShutdownScheduler;
	readonly #registry: ServedRegistry;
	/** The current channel's scope: ended when it goes down, which ends its hello loop. */
	#channelScope: ChannelScope | undefined;

	constructor(options: GuestDaemonOptions) {
		this.#options = options;
		const {config, log} = options;
		const registry = new ServedRegistry(log);
		this.#registry = registry;
		this.#shutdown = new ShutdownScheduler({command: config.shutdownCommand, delayMs: config.shutdownDelayMs, log});
		// The engine's own default (one request served at a time), said out loud for the host's §4 limit.
		const serverQueueMax = 1;
		registerGuestRpcs(registry, {
			getfileLimit: getfileLimit(config.bodyMax, config.getfileMax),
			dmesg: {command: config.dmesgCommand},
			shutdown: this.#shutdown,
			limits: {serverQueue: serverQueueMax, body: config.bodyMax},
		});
		for (const name of registry.allMethods()) {
			const allowed = config.allowRpcs === undefined || config.allowRpcs.includes(name);
			if (!allowed || config.blockRpcs.includes(name)) {
				registry.disable(name);
			}
		}

		this.agent = new Agent({
			name: 'guest',
			registry,
			serverQueueMax,
			limits: {bodyMax: config.bodyMax, headerStallMs: config.stallTimeoutMs, bodyStallMs: config.stallTimeoutMs},
		});
		// Unless verbose, only what the log says: no state or job event is then built per message.
		this.agent.subscribe(
			event => {
				this.#onEvent(event);
			},
			log.verbose ? undefined : ['channel', 'log'],
		);
	}

	get methods(): readonly string[] {
		return this.agent.registry.listMethods();
	}

	async start(): Promise<void> {
		const {log, source, config} = this.#options;
		log.log('info', `virtagent guest on ${source.label}; serving ${this.methods.join(', ')}`);
		if (config.allowRpcs !== undefined || config.blockRpcs.length > 0) {
			const disabled = this.agent.registry.allMethods().filter(name => !this.agent.registry.isEnabled(name));
			log.log('info', `disabled by configuration: ${disabled.join(', ') || '(none)'}`);
		}

		await source.start(channel => {
			this.#attach(channel);
		});
	}

	async close(): Promise<void> {
		this.#channelScope?.end();
		this.#shutdown.cancel();
		this.#registry.summarize();
		this.agent.close();
		await this.#options.source.close();
	}

	#attach(channel: Channel): void {
		this.agent.attach(channel);
	}

	#onEvent(event: EngineEvent): void {
		const {log} = this.#options;
		switch (event.type) {
			case 'channel': {
				this.#channelScope?.end();
				this.#channelScope = event.status === 'up' ? new ChannelScope() : undefined;
				if (this.#channelScope) {
					log.log('info', `channel up: ${event.label}`);
					void sayHello(this.agent, log, this.#channelScope, this.#options.hello);
				} else {
					this.#registry.summarize();
					log.log('info', `channel down: ${event.reason ?? 'closed'}`);
				}

				break;
			}

			case 'log': {
				const level = event.level === 'error' ? 'err' : event.level === 'warn' ? 'warning' : 'debug';
				log.log(level, event.message);
				break;
			}

			// Debug lines are built only when they will be written: this runs for every event.
			case 'state': {
				if (log.verbose) {
					log.log('debug', describeTransition(event));
				}

				break;
			}

			case 'job': {
				if (log.verbose) {
					log.log('debug', describeJob(event));
				}

				break;
			}

			case 'wire': {
				break;
			}
		}
	}
}
