/**
 * The monitor session: one host agent, its connection to the guest, the handshake and the
 * commands. It implements the MonitorSession contract (session-api.ts) that the Ink screen and
 * the scripted runner both drive.
 */
import {allCommands} from '../../commands/index.js';
import {Agent} from '../engine/agent.js';
import {VirtagentError} from '../engine/errors.js';
import type {XmlRpcValue} from '../protocol/value.js';
import {describeEndpoint} from '../transport/endpoint.js';
import type {Command, CommandContext} from './command.js';
import {commandError} from './command-error.js';
import {startConnection, type Connection, type SessionTarget} from './connection.js';
import {Negotiator} from './negotiation.js';
import {hostRegistry} from './host-rpcs.js';
import {parseArguments, splitCommand} from './parse-args.js';
import {describeConnection} from './format.js';
import {foldEvent, initialQueueModel, type QueueModel} from './queue-model.js';
import type {CommandOutcome, ConnectionState, GuestInfo, MonitorSession, SessionEvent, SessionStatus} from './session-api.js';
import {findCommand, unknownCommand} from './unknown-command.js';

export type {SessionTarget} from './connection.js';

export type SessionOptions = {
	readonly target: SessionTarget;
	/** Each command's deadline (default 5 s); also bounds the wait for the handshake. */
	readonly timeoutMs?: number;
	/**
	 * Scripted mode: a command waits for the handshake (bounded by its timeout). Interactive
	 * mode (false): until the guest's methods are known, agent_* commands fail at once.
	 */
	readonly waitForGuest?: boolean;
	/** Emit `wire` events (for `-v`). */
	readonly wireTap?: boolean;
	readonly retryMinMs?: number;
	readonly retryMaxMs?: number;
	readonly clientQueueMax?: number;
	readonly commands?: readonly Command[];
};

export type Session = MonitorSession & {
	/** Resolves once the guest's methods are known; rejects at the deadline with a clear error. */
	waitForGuest(timeoutMs: number): Promise<void>;
};

/** An outcome before it is timed. */
type Untimed = CommandOutcome extends infer T ? (T extends unknown ? Omit<T, 'ms'> : never) : never;

const gateMessage = 'guest agent has not said hello; run agent_capabilities';

/** Open a session: the connection starts at once (a listen that fails rejects). */
export async function openSession(options: SessionOptions): Promise<Session> {
	const defaultTimeoutMs = options.timeoutMs ?? 5000;
	const timeoutMs = defaultTimeoutMs;
	const commands = options.commands ?? allCommands;
	const listeners = new Set<(event: SessionEvent) => void>();
	let quitRequested = false;
	let closed = false;
	let connection: Connection | undefined;
	let channelLabel = describeEndpoint(options.target.endpoint);
	let connectionState: ConnectionState = {state: 'connecting'};
	let guest: GuestInfo = {helloAt: undefined, version: undefined, methods: undefined};
	let status: SessionStatus = {channel: channelLabel, connection: connectionState, guest};

	const emit = (event: SessionEvent) => {
		for (const listener of listeners) {
			try {
				listener(event);
			} catch {
				// A broken screen must not break the session.
			}
		}
	};

	const updateStatus = () => {
		status = {channel: channelLabel, connection: connectionState, guest};
		emit({type: 'status', status});
	};

	const log = (level: 'info' | 'warn', message: string) => {
		emit({type: 'log', level, message: `monitor: ${message}`, at: Date.now()});
	};

	// Late-bound: the registry is built before the agent that the negotiator drives.
	let negotiator: Negotiator | undefined;
	const agent = new Agent({
		name: 'host',
		registry: hostRegistry({
			onHello(at) {
				guest = {...guest, helloAt: at};
				updateStatus();
				emit({type: 'hello', at});
				negotiator?.start();
			},
		}),
		callTimeoutMs: timeoutMs,
		...(options.clientQueueMax === undefined ? {} : {clientQueueMax: options.clientQueueMax}),
	});
	agent.wireTap = options.wireTap ?? false;
	negotiator = new Negotiator(agent, {
		timeoutMs,
		onNegotiated(result) {
			guest = {...guest, methods: result.methods, version: result.version ?? guest.version};
			updateStatus();
		},
		onLog: log,
	});

	let model = initialQueueModel({clientLimit: agent.clientQueueMax, serverLimit: agent.serverQueueMax});
	agent.subscribe(event => {
		model = foldEvent(model, event);
		if (event.type === 'channel') {
			if (event.status === 'up') {
				negotiator?.start();
			} else {
				negotiator?.reset();
				// The next guest may serve other methods: the gate closes until it is negotiated.
				guest = {...guest, methods: undefined};
				updateStatus();
			}
		}

		emit(event);
	});

	const waitForGuest = async (waitMs: number): Promise<void> => {
		if (guest.methods !== undefined) {
			return;
		}

		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => {
				unsubscribe();
				reject(
					agent.connected
						? new VirtagentError('ETIMEDOUT', `the guest agent did not complete the handshake within ${formatSeconds(waitMs)}`)
						: new VirtagentError('ENOTCONN', `not connected to the guest agent: ${describeConnection(connectionState, Date.now())}`),
				);
			}, waitMs);
			const check = () => {
				if (guest.methods !== undefined) {
					clearTimeout(timer);
					unsubscribe();
					resolve();
				} else if (closed) {
					clearTimeout(timer);
					unsubscribe();
					reject(new VirtagentError('ENOTCONN', 'the monitor is closing'));
				}
			};

			const unsubscribe = subscribe(event => {
				if (event.type === 'status') {
					check();
				}
			});
		});
	};

	const subscribe = (listener: (event: SessionEvent) => void) => {
		listeners.add(listener);
		return () => {
			listeners.delete(listener);
		};
	};

	const gate = async (method: string): Promise<void> => {
		if (guest.methods === undefined) {
			if (options.waitForGuest) {
				await waitForGuest(timeoutMs);
			} else if (agent.connected) {
				throw new VirtagentError('ENOTCONN', gateMessage);
			} else {
				throw new VirtagentError('ENOTCONN', `not connected to the guest agent: ${describeConnection(connectionState, Date.now())}`);
			}
		}

		if (!guest.methods!.includes(method)) {
			throw new VirtagentError('ENOSYS', `${method} is not supported by the guest agent (see agent_capabilities)`);
		}
	};

	const context = (timeoutMs = defaultTimeoutMs): CommandContext => ({
		async call(method: string, params: readonly XmlRpcValue[] = []) {
			await gate(method);
			return agent.call(method, params, {timeoutMs});
		},
		async callUngated(method: string, params: readonly XmlRpcValue[] = []) {
			if (options.waitForGuest && !agent.connected) {
				await waitForGuest(timeoutMs);
			}

			return agent.call(method, params, {timeoutMs});
		},
		storeMethods(methods) {
			guest = {...guest, methods: [...methods]};
			updateStatus();
		},
		get status() {
			return status;
		},
		get model() {
			return model;
		},
		commands,
		now: Date.now(),
		quit() {
			quitRequested = true;
		},
		cancel(jobId) {
			return agent.cancel(jobId);
		},
		async runWithTimeout(line, ms) {
			return runCommand(line, context(ms));
		},
	});

	/** Parse and run one command line; throws what the command throws. */
	const runCommand = async (line: string, commandContext: CommandContext) => {
		const {name, rest} = splitCommand(line);
		const command = findCommand(name, commands);
		if (!command) {
			throw unknownCommand(name, commands);
		}

		return command.run(commandContext, parseArguments(name, rest, command.args));
	};

	const run = async (line: string): Promise<Untimed> => {
		const {name} = splitCommand(line);
		if (name === '') {
			return {ok: true, command: '', value: null, text: ''};
		}

		try {
			const result = await runCommand(line, context());
			return {ok: true, command: name, value: result.value, text: result.text};
		} catch (error) {
			const {error: shaped, text} = commandError(error);
			return {ok: false, command: name, error: shaped, text};
		}
	};

	const session: Session = {
		get status() {
			return status;
		},
		get model() {
			return model;
		},
		get quitRequested() {
			return quitRequested;
		},
		commandNames: commands.map(command => command.name),
		subscribe,
		waitForGuest,
		async execute(line) {
			const started = performance.now();
			const outcome = {...(await run(line)), ms: performance.now() - started} as CommandOutcome;
			emit({type: 'outcome', line, outcome});
			return outcome;
		},
		complete(line) {
			return completions(line, commands);
		},
		async close() {
			if (closed) {
				return;
			}

			closed = true;
			await connection?.close();
			agent.close();
			updateStatus();
		},
	};

	connection = await startConnection({
		target: options.target,
		agent,
		retryMinMs: options.retryMinMs,
		retryMaxMs: options.retryMaxMs,
		onState(state) {
			connectionState = state;
			updateStatus();
		},
		onLog: log,
	});
	channelLabel = connection.label;
	updateStatus();
	return session;
}

function formatSeconds(ms: number): string {
	return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Tab completion: command names for the first word, then each command's choices. */
function completions(line: string, commands: readonly Command[]): readonly string[] {
	const words = line.trimStart().split(/\s+/);
	const current = words.at(-1) ?? '';
	if (words.length <= 1) {
		return commands.map(command => command.name).filter(name => name.startsWith(current));
	}

	const command = findCommand(words[0]!, commands);
	if (!command) {
		return [];
	}

	if (command.args.at(-1)?.rest && words.length > command.args.length) {
		// `timeout 30 agent_sh…`: complete the command line that follows.
		return completions(words.slice(command.args.length).join(' '), commands);
	}

	if (command.name === 'help' && words.length === 2) {
		return commands.map(candidate => candidate.name).filter(name => name.startsWith(current));
	}

	const choices = command.args[words.length - 2]?.choices ?? [];
	return choices.filter(choice => choice.startsWith(current));
}
