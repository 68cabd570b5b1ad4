import type {Channel} from '../transport/channel.js';
import type {IncomingMessage, WireLimits, WireProtocol, WireProtocolFactory, WireValue} from '../wire/types.js';
import {xmlRpcProtocol} from '../wire/xmlrpc/index.js';
import {EventBus, type Listener} from './bus.js';
import {ClientSide, type CallOptions} from './client-side.js';
import {VirtagentError, type VirtagentErrorCode} from './errors.js';
import type {EngineEvent} from './events.js';
import {Link} from './link.js';
import type {MethodRegistry} from './registry.js';
import {ServerSide} from './server-side.js';
import type {ClientState, ServerState} from './states.js';

export type {CallOptions} from './client-side.js';

export type AgentOptions = {
	/** `host` or `guest`: names this end in log lines. */
	readonly name: string;
	readonly registry: MethodRegistry;
	/** The wire protocol (default: virtagent's HTTP-framed XML-RPC). */
	readonly protocol?: WireProtocolFactory;
	/** Client jobs queued or in flight at once (default 5). */
	readonly clientQueueMax?: number;
	/** Server jobs (requests being answered) at once (default 1). */
	readonly serverQueueMax?: number;
	/** Default deadline of a client job, from the moment it is queued (default 5 s). */
	readonly callTimeoutMs?: number;
	/** A send (either side) that makes no progress for this long closes the channel (default 5 s). */
	readonly sendStallMs?: number;
	/** @deprecated The old name of `sendStallMs`. */
	readonly serverSendTimeoutMs?: number;
	/** A handler that has not answered by then gets fault -500 (default 5 s). */
	readonly handlerTimeoutMs?: number;
	/** Over-limit requests awaiting their fault answer before reading pauses (default 64). */
	readonly refusalMax?: number;
	readonly limits?: Partial<WireLimits>;
};

const defaultLimits: WireLimits = {bodyMax: 2 * 1024 * 1024, headerMax: 4096};

/**
 * One end of the channel: an RPC client and an RPC server multiplexed over one stream
 * (docs/PROTOCOL.md §4). This class only wires the parts together and holds the kick, the one
 * arbiter of what goes on the wire next:
 * - `Link` (link.ts): the channel, reading through the wire protocol, one write at a time;
 * - `ClientSide`, `ServerSide`: each owns its queue, its machine and its jobs' statuses;
 * - `EventBus` (bus.ts): every change goes out as an event.
 */
export class Agent {
	readonly name: string;
	readonly registry: MethodRegistry;
	readonly clientQueueMax: number;
	readonly serverQueueMax: number;
	readonly limits: WireLimits;
	readonly protocol: WireProtocol;
	readonly #bus: EventBus;
	readonly #link: Link;
	readonly #client: ClientSide;
	readonly #server: ServerSide;
	#nextJobId = 1;
	#closed = false;
	#kicking = false;
	#kickAgain = false;
	#resetting = false;
	#inBug = false;

	constructor(options: AgentOptions) {
		this.name = options.name;
		this.registry = options.registry;
		this.clientQueueMax = options.clientQueueMax ?? 5;
		this.serverQueueMax = options.serverQueueMax ?? 1;
		this.limits = {...defaultLimits, ...options.limits};
		this.protocol = (options.protocol ?? xmlRpcProtocol)(this.limits);
		this.#bus = new EventBus(options.name);
		this.#link = new Link(
			this.protocol,
			this.#bus,
			{
				message: message => {
					this.#onMessage(message);
				},
				protocolError: (_code, message) => {
					this.#reset('EPROTO', `framing error: ${message}`, false);
				},
				lost: reason => {
					this.#reset('ECONNRESET', `channel lost: ${reason}`, true);
				},
				writable: () => {
					this.#kick();
				},
			},
			{sendStallMs: options.sendStallMs ?? options.serverSendTimeoutMs ?? 5000, pausedInputMax: 2 * (this.limits.bodyMax + (this.limits.headerMax ?? 0))},
		);
		const nextJobId = () => this.#nextJobId++;
		const kick = () => {
			this.#kick();
		};

		const illegal = (machine: string, detail: string) => {
			this.#illegal(machine, detail);
		};

		this.#client = new ClientSide(
			{
				protocol: this.protocol,
				link: this.#link,
				bus: this.#bus,
				nextJobId,
				kick,
				illegal,
				bug: what => {
					this.#bug(what);
				},
				resetChannel: reason => {
					this.detach(reason);
				},
			},
			{queueMax: this.clientQueueMax, callTimeoutMs: options.callTimeoutMs ?? 5000},
		);
		this.#server = new ServerSide(
			{protocol: this.protocol, link: this.#link, bus: this.#bus, registry: this.registry, nextJobId, kick, illegal},
			{queueMax: this.serverQueueMax, handlerTimeoutMs: options.handlerTimeoutMs ?? 5000, refusalMax: options.refusalMax ?? 64},
		);
	}

	get clientState(): ClientState {
		return this.#client.state;
	}

	get serverState(): ServerState {
		return this.#server.state;
	}

	get connected(): boolean {
		return this.#link.connected;
	}

	/** Client jobs queued, held or in flight. */
	get clientJobCount(): number {
		return this.#client.jobCount;
	}

	get serverJobCount(): number {
		return this.#server.jobCount;
	}

	/** Requests the peer can hold at once: 1 until it says more (`va.capabilities` limits.serverQueue, §4). */
	get peerCapacity(): number {
		return this.#client.capacity;
	}

	/** Set after negotiation from the peer's advertised server queue limit; back to 1 on each new channel. */
	setPeerCapacity(n: number): void {
		this.#client.capacity = n;
	}

	/** Subscribe to every event, or to these types only; returns the unsubscribe function. */
	subscribe(listener: Listener, types?: ReadonlyArray<EngineEvent['type']>): () => void {
		return this.#bus.subscribe(listener, types);
	}

	/** Emit `wire` events with every message's body (for `-v`). Off by default: it costs. */
	set wireTap(on: boolean) {
		this.#bus.wireTap = on;
	}

	/** Run over this stream from now on (a previous one is dropped first). */
	attach(channel: Channel): void {
		if (this.#closed) {
			throw new VirtagentError('ENOTCONN', 'agent is closed');
		}

		this.#client.capacity = 1;
		this.#link.attach(channel);
	}

	/** Drop the current stream: pending jobs fail with ECONNRESET. */
	detach(reason = 'detached'): void {
		this.#link.detach(reason);
	}

	/** Stop for good: the channel is closed and every job fails. */
	close(): void {
		this.detach('agent closed');
		this.#closed = true;
	}

	/**
	 * Queue a request. Fails at once with ENOBUFS when the client queue is full, ENOTCONN
	 * without a channel, EINVAL when the params cannot be encoded or are too large. A request the
	 * protocol sends without expecting a reply resolves with a `NoReplyResult`.
	 */
	call(method: string, params: readonly WireValue[] = [], options: CallOptions = {}): Promise<WireValue> {
		// Not async: one promise per call, not two.
		this.#bus.beginStep();
		try {
			return this.#client.call(method, params, options);
		} finally {
			this.#bus.endStep();
		}
	}

	/** Fail a queued, held or in-flight client job with ECANCELED (its late response is dropped). */
	cancel(jobId: number): boolean {
		return this.#client.cancel(jobId);
	}

	#onMessage(message: IncomingMessage): void {
		this.#bus.beginStep();
		try {
			this.#handle(message);
			this.#kick();
		} finally {
			this.#bus.endStep();
		}
	}

	#handle(message: IncomingMessage): void {
		try {
			const request = message.kind === 'request' || message.kind === 'unreadable-request';
			this.#bus.tap('in', request ? 'request' : 'response', message.key, message.raw);
			if (!request) {
				this.#client.onResponse(message);
			} else if (this.protocol.hasServerSide) {
				this.#server.onRequest(message);
			} else {
				this.#bus.log('warn', `request ${message.key ?? '(untagged)'} dropped: ${this.protocol.name} peers send none`);
			}
		} catch (error) {
			// A bug, not the peer's doing: reported, and the engine starts over; the process lives.
			this.#bug(`exception on a ${message.kind}: ${error instanceof Error ? error.message : String(error)}`);
		}
	}

	/**
	 * The kick (§4): server work first; only one message on the wire at a time; called on every
	 * event. Re-entrant calls (a listener calling `call` mid-kick) run once the current one ends.
	 */
	#kick(): void {
		if (this.#kicking) {
			this.#kickAgain = true;
			return;
		}

		this.#kicking = true;
		let failure: unknown;
		try {
			do {
				this.#kickAgain = false;
				this.#kickOnce();
			} while (this.#kickAgain);
		} catch (error) {
			failure = error;
		} finally {
			this.#kicking = false;
		}

		if (failure !== undefined) {
			this.#bug(`exception in the kick: ${failure instanceof Error ? failure.message : String(failure)}`);
		}
	}

	#kickOnce(): void {
		if (!this.#link.connected) {
			return;
		}

		if (this.#link.busy) {
			if (this.#client.state === 'SEND') {
				this.#server.deferIfReady();
			}

			return;
		}

		if (!this.#server.trySend()) {
			this.#client.trySend();
		}
	}

	/** Fail every client job, drop every server job, both machines to IDLE. */
	#reset(code: VirtagentErrorCode, message: string, channelGone: boolean): void {
		if (this.#resetting) {
			return;
		}

		this.#resetting = true;
		try {
			this.#client.reset(code, message, channelGone);
			this.#server.reset(code, message);
		} finally {
			this.#resetting = false;
		}

		this.#kick();
	}

	/** An illegal move is a bug: report it and reset, never kill the process (the seed asserted). */
	#illegal(machine: string, detail: string): void {
		this.#bug(`illegal ${machine} transition: ${detail}`);
	}

	#bug(what: string): void {
		if (this.#inBug) {
			// A bug while recovering from one: report it, but do not reset in a loop.
			this.#bus.log('error', `bug: ${what} (while resetting after another)`);
			return;
		}

		this.#inBug = true;
		try {
			this.#bus.log('error', `bug: ${what}; resetting the engine`);
			this.#reset('EPROTO', `internal error: ${what}`, false);
		} finally {
			this.#inBug = false;
		}
	}
}
