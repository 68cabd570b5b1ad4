/**
 * A session-like object for the screen's tests: the project's real host Agent and a real guest
 * Agent over a real UNIX socket pair, with a small command set on top (the real session lives
 * in src/monitor/session.ts; the screen only needs the MonitorSession contract).
 */
import {Agent} from '../../../../src/engine/agent.js';
import {RpcFault, RpcFaultError, VirtagentError} from '../../../../src/engine/errors.js';
import {MethodRegistry} from '../../../../src/engine/registry.js';
import {escapeUntrusted} from '../../../../src/monitor/escape.js';
import {foldEvent, initialQueueModel} from '../../../../src/monitor/queue-model.js';
import type {CommandOutcome, MonitorSession, SessionEvent, SessionStatus} from '../../../../src/monitor/session-api.js';
import {socketChannel} from '../../../../src/transport/socket-channel.js';
import {gate, type Gate} from '../../../helpers/gate.js';
import {socketPair} from '../../../helpers/socket-pair.js';

export type AgentSession = MonitorSession & {
	readonly host: Agent;
	readonly guest: Agent;
	/** Hold every `test_hold` call on the guest until `release()`. */
	hold(): void;
	release(): void;
	/** Commands executed so far, in order. */
	readonly executed: string[];
	/** Call the host from the guest (a hostile guest's requests). */
	guestCalls(method: string): Promise<unknown>;
};

export type AgentSessionOptions = {
	/** What va.getdmesg answers. */
	readonly dmesg?: string;
};

const commands = ['agent_capabilities', 'agent_ping', 'agent_shutdown', 'agent_viewdmesg', 'help', 'quit', 'test_hold'];
const shutdownModes = ['halt', 'powerdown', 'reboot'];

/** Resolves once the guest has said hello and the host holds its method list. */
export async function agentSession(options: AgentSessionOptions = {}): Promise<AgentSession> {
	const pair = await socketPair();
	let held: Gate | undefined;
	const negotiated = gate();

	const guestRegistry = new MethodRegistry()
		.register('va.ping', 'ping', () => 'dummy')
		.register('va.getdmesg', 'dmesg', () => options.dmesg ?? 'kernel: hello')
		.register('va.shutdown', 'never runs anything in tests', params => {
			if (!shutdownModes.includes(String(params[0]))) {
				throw new RpcFault(-501, `invalid shutdown type: ${String(params[0])}`);
			}

			return 'dummy';
		})
		.register('test.hold', 'answers when the test releases it', async () => {
			await held?.promise;
			return 'dummy';
		});
	const hostRegistry = new MethodRegistry().register('va.ping', 'ping', () => 'dummy');
	const host = new Agent({name: 'host', registry: hostRegistry});
	const guest = new Agent({name: 'guest', registry: guestRegistry, handlerTimeoutMs: 30_000});
	const listeners = new Set<(event: SessionEvent) => void>();
	let model = initialQueueModel({clientLimit: host.clientQueueMax, serverLimit: host.serverQueueMax});
	let quitRequested = false;
	const emit = (event: SessionEvent) => {
		if (event.type !== 'status' && event.type !== 'hello' && event.type !== 'outcome' && event.type !== 'progress') {
			model = foldEvent(model, event);
		}

		for (const listener of listeners) {
			listener(event);
		}
	};

	let status: SessionStatus = {
		channel: `unix:${pair.path}`,
		connection: {state: 'connecting'},
		guest: {helloAt: undefined, version: undefined, methods: undefined},
	};
	const setStatus = (next: SessionStatus) => {
		status = next;
		emit({type: 'status', status});
	};

	host.subscribe(emit);
	hostRegistry.register('va.hello', 'the guest is up', () => {
		const at = Date.now();
		setStatus({...status, guest: {...status.guest, helloAt: at}});
		emit({type: 'hello', at});
		host.call('system.listMethods').then(
			methods => {
				setStatus({...status, guest: {...status.guest, version: '1.0', methods: methods as string[]}});
				negotiated.open();
			},
			() => undefined,
		);
		return 'dummy';
	});

	host.attach(socketChannel(pair.a, `unix:${pair.path}`));
	guest.attach(socketChannel(pair.b, 'guest'));
	setStatus({...status, connection: {state: 'connected', since: Date.now()}});
	guest.call('va.hello').catch(() => undefined);
	await negotiated.promise;

	const run = async (line: string): Promise<{value: unknown; text: string}> => {
		const [name, ...args] = line.trim().split(/\s+/u);
		switch (name) {
			case 'agent_ping': {
				await host.call('va.ping');
				return {value: 'ok', text: 'ok'};
			}

			case 'agent_viewdmesg': {
				const text = (await host.call('va.getdmesg')) as string;
				return {value: text, text: escapeUntrusted(text)};
			}

			case 'agent_shutdown': {
				if (args.length === 0) {
					throw new Error('agent_shutdown: string expected');
				}

				await host.call('va.shutdown', [args[0]!]);
				return {value: {}, text: ''};
			}

			case 'agent_capabilities': {
				const methods = (await host.call('system.listMethods')) as string[];
				return {value: methods, text: ['the following RPC methods are supported by the guest agent:', ...methods.map(m => escapeUntrusted(m))].join('\n')};
			}

			case 'quit': {
				quitRequested = true;
				return {value: {}, text: ''};
			}

			case 'test_hold': {
				await host.call('test.hold', [], {timeoutMs: 30_000});
				return {value: 'ok', text: 'released'};
			}

			default: {
				throw new Error(`unknown command: '${name}'`);
			}
		}
	};

	const session: AgentSession = {
		get status() {
			return status;
		},
		get model() {
			return model;
		},
		get quitRequested() {
			return quitRequested;
		},
		host,
		guest,
		executed: [],
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		async execute(line) {
			session.executed.push(line);
			const start = Date.now();
			let outcome: CommandOutcome;
			try {
				const {value, text} = await run(line);
				outcome = {ok: true, command: line, value, text, ms: Date.now() - start};
			} catch (error) {
				const message = error instanceof RpcFaultError ? `fault ${error.code}: ${error.faultString}` : (error as Error).message;
				const errorClass = error instanceof RpcFaultError ? 'RPCFailed' : error instanceof VirtagentError ? 'VirtagentFailed' : 'GenericError';
				outcome = {ok: false, command: line, error: {class: errorClass, desc: message}, text: `Error: ${escapeUntrusted(message)}`, ms: Date.now() - start};
			}

			emit({type: 'outcome', line, outcome});
			return outcome;
		},
		complete(line) {
			const words = line.split(/\s+/u);
			if (words.length <= 1) {
				return commands.filter(name => name.startsWith(words[0] ?? ''));
			}

			const word = words.at(-1)!;
			if (words[0] === 'agent_shutdown') {
				return shutdownModes.filter(mode => mode.startsWith(word));
			}

			if (words[0] === 'help') {
				return commands.filter(name => name.startsWith(word));
			}

			return [];
		},
		commandNames: commands,
		hold() {
			held = gate();
		},
		release() {
			held?.open();
			held = undefined;
		},
		async guestCalls(method) {
			return guest.call(method);
		},
		async close() {
			held?.open();
			host.close();
			guest.close();
			pair.close();
		},
	};
	return session;
}
