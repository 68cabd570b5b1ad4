/**
 * The monitor session, built from its parts: the host agent and the connection that keeps it
 * attached to a guest are handed in, and so are the commands. It holds one state object (the
 * connection, what the guest said) and the queue model's tracker, negotiates as a step of
 * establishing each stream, and runs command lines. It implements the MonitorSession contract
 * (session-api.ts) that the Ink screen and the scripted runner both drive. The CLI's session,
 * its parts made from options: open-session.ts.
 */
import type {Agent} from '../engine/agent.js';
import {VirtagentError} from '../engine/errors.js';
import type {EngineEvent} from '../engine/events.js';
import type {WireValue} from '../wire/types.js';
import type {Command} from './command.js';
import {commandError} from './command-error.js';
import {CommandSet} from './command-set.js';
import type {FleetControl} from './fleet-api.js';
import type {Connection} from './connection.js';
import {age, describeConnection} from './format.js';
import {Negotiation, describeFailure, type Negotiated} from './negotiation.js';
import {LeftoverHandles} from './qga/leftover-handles.js';
import {guestProtocolOf, type GuestProtocol} from './qga/protocol-switch.js';
import {splitCommand} from './parse-args.js';
import {SessionContext, type SessionHooks} from './session-context.js';
import {waitForStatus} from './status-wait.js';
import {initialQueueModel, type QueueModel, type TransitionEntry} from './queue-model.js';
import {QueueTracker} from './queue-tracker.js';
import {type ClientQueueView, type CommandOutcome, type GuestInfo, type MonitorSession, type SessionEvent, type SessionStatus} from './session-api.js';

export type {SessionTarget} from './connection.js';

export type SessionParts = {
	/** The host's agent; its registry serves the guest (see host-rpcs.ts). */
	readonly agent: Agent;
	/** Keeps `agent` attached to a guest; not started yet (`start()` does). */
	readonly connection: Connection;
	/** The monitor's commands (commands/index.ts), in the order `help` lists them. */
	readonly commands: readonly Command[];
	/** Each command's deadline (default 5 s); also bounds the wait for the handshake. */
	readonly timeoutMs?: number;
	/**
	 * Scripted mode: a command waits for the handshake (bounded by its timeout). Interactive
	 * mode (false): until the guest's methods are known, agent_* commands fail at once.
	 */
	readonly waitForGuest?: boolean;
	/** The fleet words for this one guest (`guests`, `use`: src/monitor/fleet/one-guest.ts), in every command's context. */
	readonly fleet?: FleetControl;
};

/** Everything the session knows, replaced as a whole on every change. */
type SessionState = {
	readonly status: SessionStatus;
	/** Limits the guest advertised (docs/PROTOCOL.md §5), once negotiated. */
	readonly limits: Negotiated['limits'];
	readonly quitRequested: boolean;
	readonly closed: boolean;
};

const gateMessage = 'guest agent has not said hello; run agent_capabilities';
const noGuest: GuestInfo = {helloAt: undefined, version: undefined, methods: undefined};

/** The status's `protocol` field for a connection (absent while unknown). */
function protocolOf(connection: Connection): {protocol?: GuestProtocol} {
	return connection.protocol === undefined ? {} : {protocol: connection.protocol};
}

export class Session implements MonitorSession {
	readonly #agent: Agent;
	readonly #connection: Connection;
	readonly #commands: CommandSet;
	readonly #timeoutMs: number;
	readonly #waitForGuest: boolean;
	readonly #fleet: FleetControl | undefined;
	readonly #negotiation: Negotiation;
	/** Replaced, not changed, on (un)subscribe: an emit loops over an array with no iterator (~7 events per ping). */
	#listeners: ReadonlyArray<(event: SessionEvent) => void> = [];
	readonly #unsubscribe: Array<() => void>;
	/** qemu-ga handles to close on the next connection (src/monitor/getfile/chunk-source.ts). */
	readonly #leftoverHandles = new LeftoverHandles();
	#state: SessionState;
	/**
	 * The queue model, kept event by event and built when read (the screen once a frame, `info`):
	 * ~7 events per ping sit on the path between a reply and the next request.
	 */
	readonly #queue: QueueTracker;
	#servedFrom: readonly string[] | undefined;
	#servedSet: ReadonlySet<string> = new Set();
	/** What each command's context reaches (session-context.ts): made once, not a dozen closures per command. */
	readonly #hooks: SessionHooks;

	constructor(parts: SessionParts) {
		const {agent, connection} = parts;
		this.#agent = agent;
		this.#connection = connection;
		this.#commands = new CommandSet(parts.commands);
		this.#fleet = parts.fleet;
		this.#hooks = this.#makeHooks();
		this.#timeoutMs = parts.timeoutMs ?? 5000;
		this.#waitForGuest = parts.waitForGuest ?? false;
		this.#queue = new QueueTracker(initialQueueModel({clientLimit: agent.clientQueueMax, serverLimit: agent.serverQueueMax}));
		this.#state = {
			status: {channel: connection.label, connection: connection.state, guest: noGuest, ...protocolOf(connection)},
			limits: undefined,
			quitRequested: false,
			closed: false,
		};
		this.#negotiation = new Negotiation({
			agent,
			timeoutMs: this.#timeoutMs,
			protocol: () => guestProtocolOf(agent),
			onNegotiated: result => {
				// docs/PROTOCOL.md §4: never more outstanding than the guest holds (a guest's number: bounded).
				agent.setPeerCapacity(Math.min(Math.max(1, result.limits?.serverQueue ?? 1), agent.clientQueueMax));
				const {guest} = this.#state.status;
				const disabled = result.disabled ? {disabled: result.disabled} : {};
				this.#update({limits: result.limits}, {guest: {...guest, methods: result.methods, version: result.version ?? guest.version, ...disabled}});
				if (this.#state.status.protocol === 'qga') {
					this.#leftoverHandles.closeAll(agent, this.#timeoutMs, message => {
						this.#log('info', message);
					});
				}
			},
			onRefused(reason) {
				connection.refused(reason);
			},
			onLog: (level, message) => {
				this.#log(level, message);
			},
		});
		this.#unsubscribe = [
			connection.subscribe(event => {
				if (event.type === 'state') {
					this.#update({}, {channel: connection.label, connection: event.state, protocol: connection.protocol});
				} else {
					this.#log(event.level, event.message);
				}
			}),
			agent.subscribe(event => {
				this.#onEngineEvent(event);
			}),
		];
	}

	/** Start the connection (a listen that fails rejects); resolves with the session. */
	async start(): Promise<this> {
		await this.#connection.start();
		this.#update({}, {channel: this.#connection.label});
		return this;
	}

	get status(): SessionStatus {
		return this.#state.status;
	}

	get model(): QueueModel {
		return this.#queue.model;
	}

	get clientQueue(): ClientQueueView {
		return this.#queue.client;
	}

	/** Transitions seen so far, and the latest of them: what a fleet's log follows, without building a model per event. */
	get transitionCount(): number {
		return this.#queue.transitionCount;
	}

	latestTransitions(count: number): readonly TransitionEntry[] {
		return this.#queue.latest(count);
	}

	get quitRequested(): boolean {
		return this.#state.quitRequested;
	}

	get commandNames(): readonly string[] {
		return this.#commands.names;
	}

	subscribe(listener: (event: SessionEvent) => void): () => void {
		if (!this.#listeners.includes(listener)) {
			this.#listeners = [...this.#listeners, listener];
		}

		return () => {
			this.#listeners = this.#listeners.filter(kept => kept !== listener);
		};
	}

	/**
	 * Parse and run one line; never rejects. Not async, and one `then` for the command's result,
	 * its outcome and its time (runSplit never throws, it rejects): each promise hop and closure
	 * here is paid on every command line.
	 */
	execute(line: string): Promise<CommandOutcome> {
		const started = performance.now();
		const {name, rest} = splitCommand(line);
		if (name === '') {
			return Promise.resolve(this.#outcome(line, {ok: true, command: '', value: null, text: '', ms: performance.now() - started}));
		}

		return this.#commands.runSplit(name, rest, new SessionContext(this.#hooks, this.#timeoutMs)).then(
			result => this.#outcome(line, {ok: true, command: name, value: result.value, text: result.text, ms: performance.now() - started}),
			(error: unknown) => {
				const {error: shaped, text} = commandError(error);
				return this.#outcome(line, {ok: false, command: name, error: shaped, text, ms: performance.now() - started});
			},
		);
	}

	complete(line: string): readonly string[] {
		const {protocol, guest} = this.#state.status;
		return this.#commands.complete(line, protocol === 'qga' ? (guest.methods ?? []) : []);
	}

	/** Resolves once the guest's methods are known; rejects at the deadline with a clear error. */
	async waitForGuest(waitMs: number): Promise<void> {
		if (this.#state.status.guest.methods !== undefined) {
			return;
		}

		await waitForStatus(
			listener => this.subscribe(listener),
			() => {
				if (this.#state.status.guest.methods !== undefined) {
					return true;
				}

				return this.#state.closed ? new VirtagentError('ENOTCONN', 'the monitor is closing') : undefined;
			},
			waitMs,
			() =>
				this.#state.status.connection.state === 'connected'
					? new VirtagentError(
							'ETIMEDOUT',
							describeFailure(
								{agent: this.#agent, timeoutMs: waitMs, protocol: () => this.#state.status.protocol},
								new VirtagentError('ETIMEDOUT', `the guest agent did not complete the handshake within ${age(waitMs)}`),
							),
						)
					: this.#notConnected(),
		);
	}

	async close(): Promise<void> {
		if (this.#state.closed) {
			return;
		}

		this.#state = {...this.#state, closed: true};
		await this.#connection.close();
		this.#agent.close();
		for (const unsubscribe of this.#unsubscribe) {
			unsubscribe();
		}

		this.#update({}, {});
	}

	#onEngineEvent(event: EngineEvent): void {
		this.#queue.apply(event);
		if (event.type === 'channel') {
			if (event.status === 'up') {
				this.#update({}, {protocol: this.#connection.protocol});
				this.#negotiation.streamUp();
			} else {
				this.#negotiation.streamDown();
				// The next guest may serve other methods, and has said nothing yet: the gate closes.
				this.#update({limits: undefined}, {guest: noGuest, protocol: this.#connection.protocol});
			}
		} else if (event.type === 'job' && event.side === 'server' && event.from === null && event.method === 'va.hello') {
			// The guest is up (again): docs/PROTOCOL.md §5, negotiate after every hello.
			this.#update({}, {guest: {...this.#state.status.guest, helloAt: event.at}});
			this.#emit({type: 'hello', at: event.at});
			this.#negotiation.hello();
		}

		this.#emit(event);
	}

	#outcome(line: string, outcome: CommandOutcome): CommandOutcome {
		this.#emit({type: 'outcome', line, outcome});
		return outcome;
	}

	#makeHooks(): SessionHooks {
		return {
			commands: this.#commands.commands,
			status: () => this.#state.status,
			model: () => this.model,
			callMethod: (method, params, timeoutMs, gated) => this.#callMethod(method, params, timeoutMs, gated),
			protocol: timeoutMs => this.#awaitProtocol(timeoutMs),
			leftoverHandle: handle => {
				this.#leftoverHandles.add(handle);
			},
			storeMethods: (methods, disabled) => {
				this.#update({}, {guest: {...this.#state.status.guest, methods: [...methods], ...(disabled ? {disabled: [...disabled]} : {})}});
			},
			quit: () => {
				this.#state = {...this.#state, quitRequested: true};
			},
			cancel: jobId => this.#agent.cancel(jobId),
			progress: text => {
				this.#emit({type: 'progress', text});
			},
			run: async (line, context) => this.#commands.run(line, context),
			...(this.#fleet ? {fleet: this.#fleet} : {}),
		};
	}

	/** Any method by name (catalogue RPCs and qemu-ga's commands), through the gate unless `gated` is false. */
	#callMethod(method: string, params: readonly WireValue[], timeoutMs: number, gated: boolean): Promise<WireValue> {
		// Not async: with the gate open (every call after the handshake) the agent's promise is returned as is.
		let waiting: Promise<void> | undefined;
		try {
			waiting = gated ? this.#gate(method, timeoutMs) : this.#waitUngated(timeoutMs);
		} catch (error) {
			return Promise.reject(error as Error);
		}

		return waiting ? waiting.then(async () => this.#agent.call(method, params, {timeoutMs})) : this.#agent.call(method, params, {timeoutMs});
	}

	/**
	 * What the guest speaks, for commands that differ by protocol. Known: at once (no await in
	 * the caller's way, see #call). Not yet (`auto` before the probe): scripted mode waits for
	 * the handshake as the gate does; interactive mode fails as the gate does.
	 */
	#awaitProtocol(timeoutMs: number): GuestProtocol | Promise<GuestProtocol> {
		const known = this.#state.status.protocol;
		if (known) {
			return known;
		}

		const waiting = this.#gate('', timeoutMs);
		return (waiting ?? Promise.resolve()).then(() => this.#state.status.protocol ?? 'virtagent');
	}

	/** The capability gate (docs/PROTOCOL.md §5): undefined when open, a wait in scripted mode. */
	#gate(method: string, timeoutMs: number, deadline?: number): Promise<void> | undefined {
		const {guest, connection} = this.#state.status;
		if (guest.methods === undefined) {
			if (this.#waitForGuest) {
				// Checked again once known (ENOSYS); a stream lost meanwhile means waiting again, within the same deadline.
				const until = deadline ?? Date.now() + timeoutMs;
				return this.waitForGuest(deadline === undefined ? timeoutMs : Math.max(0, until - Date.now())).then(async () => this.#gate(method, timeoutMs, until));
			}

			throw connection.state === 'connected' ? new VirtagentError('ENOTCONN', gateMessage) : this.#notConnected();
		}

		if (method !== '' && !this.#served(guest.methods).has(method)) {
			const why = guest.disabled?.includes(method) ? 'is disabled in this qemu-ga (guest-info lists it as disabled)' : 'is not supported by the guest agent';
			throw new VirtagentError('ENOSYS', `${method} ${why} (see agent_capabilities)`);
		}

		return undefined;
	}

	/** The guest's methods as a set, made again only when the list changes (a lookup per call; qemu-ga lists ~40). */
	#served(methods: readonly string[]): ReadonlySet<string> {
		if (this.#servedFrom !== methods) {
			this.#servedFrom = methods;
			this.#servedSet = new Set(methods);
		}

		return this.#servedSet;
	}

	/** Ungated calls still wait for a stream in scripted mode. */
	#waitUngated(timeoutMs: number): Promise<void> | undefined {
		return this.#waitForGuest && this.#state.status.connection.state !== 'connected' ? this.waitForGuest(timeoutMs) : undefined;
	}

	#notConnected(): VirtagentError {
		return new VirtagentError('ENOTCONN', `not connected to the guest agent: ${describeConnection(this.#state.status.connection, Date.now())}`);
	}

	#update(state: Partial<Pick<SessionState, 'limits'>>, status: Partial<SessionStatus>): void {
		this.#state = {...this.#state, ...state, status: {...this.#state.status, ...status}};
		this.#emit({type: 'status', status: this.#state.status});
	}

	#log(level: 'info' | 'warn', message: string): void {
		this.#emit({type: 'log', level, message: `monitor: ${message}`, at: Date.now()});
	}

	#emit(event: SessionEvent): void {
		const listeners = this.#listeners;
		for (let index = 0; index < listeners.length; index++) {
			try {
				listeners[index]!(event);
			} catch {
				// A broken screen must not break the session.
			}
		}
	}
}
