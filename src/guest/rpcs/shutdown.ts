import {spawn} from 'node:child_process';
import type {EngineEvent} from '../../engine/events.js';
import {RpcFault} from '../../engine/errors.js';
import {FaultCode} from '../../protocol/value.js';
import {fillTemplate} from '../argv-template.js';
import type {GuestLog} from '../log.js';

/** The flag of shutdown(8) for each mode of PROTOCOL §5. */
export const shutdownFlags = {halt: '-H', powerdown: '-P', reboot: '-r'} as const;
export type ShutdownMode = keyof typeof shutdownFlags;

/** The real thing; tests always pass a harmless `--shutdown-command`. */
export const defaultShutdownCommand: readonly string[] = ['shutdown', '{flag}', '+0', 'hypervisor initiated shutdown'];

export function parseShutdownMode(mode: string): ShutdownMode {
	if (!Object.hasOwn(shutdownFlags, mode)) {
		throw new RpcFault(FaultCode.typeError, `invalid shutdown type: ${mode}`);
	}

	return mode as ShutdownMode;
}

export type ShutdownSchedulerOptions = {
	/** argv template: `{mode}` and `{flag}` are filled in. */
	readonly command: readonly string[];
	readonly delayMs: number;
	readonly log: GuestLog;
};

type Pending = {readonly mode: ShutdownMode; readonly tag: string | undefined};

/**
 * va.shutdown answers first and acts later: the command runs only once the reply has been
 * written to the host (the server job's `done` event), then after the delay. A reply that could
 * not be delivered cancels it: the host was told nothing, so nothing happens.
 */
export class ShutdownScheduler {
	readonly #options: ShutdownSchedulerOptions;
	readonly #pending: Pending[] = [];
	#timer: NodeJS.Timeout | undefined;
	#started = false;

	constructor(options: ShutdownSchedulerOptions) {
		this.#options = options;
	}

	/** Called by the handler: the reply is on its way. */
	request(mode: ShutdownMode, tag: string | undefined): void {
		this.#pending.push({mode, tag});
	}

	/** Feed every engine event here. */
	onEvent(event: EngineEvent): void {
		if (event.type !== 'job' || event.side !== 'server' || event.method !== 'va.shutdown' || (event.to !== 'done' && event.to !== 'failed')) {
			return;
		}

		const index = this.#pending.findIndex(pending => pending.tag === event.tag);
		if (index < 0) {
			return;
		}

		const [pending] = this.#pending.splice(index, 1);
		if (event.to === 'failed') {
			this.#options.log.log('warning', `shutdown (${pending!.mode}) cancelled: the reply was not delivered (${event.error?.message ?? 'unknown reason'})`);
		} else {
			this.#schedule(pending!.mode);
		}
	}

	#schedule(mode: ShutdownMode): void {
		if (this.#timer || this.#started) {
			this.#options.log.log('notice', `shutdown (${mode}) requested again: one is already under way`);
			return;
		}

		const argv = fillTemplate(this.#options.command, {mode, flag: shutdownFlags[mode]});
		this.#options.log.log('notice', `shutdown (${mode}) in ${this.#options.delayMs / 1000}s: ${JSON.stringify(argv)}`);
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			this.#run(argv);
		}, this.#options.delayMs);
	}

	#run(argv: readonly string[]): void {
		this.#started = true;
		const child = spawn(argv[0]!, argv.slice(1), {stdio: ['ignore', 'ignore', 'pipe']});
		let errorText = '';
		child.stderr.on('data', (chunk: Buffer) => {
			errorText = (errorText + chunk.toString('utf8')).slice(-300);
		});
		child.once('error', error => {
			this.#started = false;
			this.#options.log.log('err', `shutdown command ${JSON.stringify(argv[0])} failed to start: ${error.message}`);
		});
		child.once('close', (code, signal) => {
			this.#started = false;
			const status = signal ? `killed by ${signal}` : `exited with code ${code}`;
			const detail = code === 0 ? '' : `: ${errorText.trim().split('\n').pop() ?? ''}`;
			this.#options.log.log(code === 0 ? 'notice' : 'err', `shutdown command ${status}${detail}`);
		});
	}

	/** Forget a shutdown that has not started yet (the daemon is stopping). */
	cancel(): void {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#pending.length = 0;
	}
}
