/**
 * Keeps the host agent attached to a guest: dial with back-off, listen and take one guest at a
 * time, or run over a channel already held. Its state follows the agent's channel events (the
 * stream says when it is up and when it ends), never a peek at the agent.
 */
import type {Agent} from '../engine/agent.js';
import type {ChannelEvent} from '../engine/events.js';
import type {Channel} from '../transport/channel.js';
import {connectEndpoint, describeEndpoint, listenEndpoint, type Listener, type SocketEndpoint} from '../transport/endpoint.js';
import {detectGuestProtocol} from './qga/detect.js';
import {guestProtocolOf, protocolLabel, protocolSwitchOf, type GuestProtocol} from './qga/protocol-switch.js';
import type {ConnectionState} from './session-api.js';

/** `connect`: we dial (QEMU `server=on`, or TCP); `listen`: the guest side dials us (QEMU `server=off`). */
export type SessionTarget = {
	readonly mode: 'connect' | 'listen';
	readonly endpoint: SocketEndpoint;
};

export type ConnectionEvent =
	{readonly type: 'state'; readonly state: ConnectionState} | {readonly type: 'log'; readonly level: 'info' | 'warn'; readonly message: string};

export type Connection = {
	/** e.g. `unix:/tmp/va.sock` */
	readonly label: string;
	readonly state: ConnectionState;
	/** What the guest speaks (see ProtocolSwitch); undefined while `auto` has not found out. */
	readonly protocol: GuestProtocol | undefined;
	subscribe(listener: (event: ConnectionEvent) => void): () => void;
	/** Start dialling, listening or running; a listen that fails (EADDRINUSE…) rejects. */
	start(): Promise<void>;
	/**
	 * The guest turned this stream away (docs/PROTOCOL.md §1: another host is connected): when it
	 * ends, that is the reason given, and it counts as a failed attempt.
	 */
	refused(reason: string): void;
	close(): Promise<void>;
};

export type DialOptions = {
	/** Back-off: the first retry after `retryMinMs`, doubling up to `retryMaxMs` (0.25 s → 5 s). */
	readonly retryMinMs?: number;
	readonly retryMaxMs?: number;
	/** A stream that ends sooner than this was a failed attempt: the back-off keeps growing (1 s). */
	readonly stableMs?: number;
	/** `--protocol auto`: the pauses between probes of a silent guest (0.25 s → 5 s). */
	readonly probeMinMs?: number;
	readonly probeMaxMs?: number;
};

export function retryDelay(attempt: number, minMs: number, maxMs: number): number {
	return Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1));
}

/** What every kind shares: the state, its listeners, and the agent's channel events. */
abstract class AgentConnection implements Connection {
	protected readonly agent: Agent;
	/** Aborted by close(): every timer and callback of this connection checks it. */
	protected readonly lifetime = new AbortController();
	#label: string;
	#state: ConnectionState;
	readonly #listeners = new Set<(event: ConnectionEvent) => void>();
	readonly #unsubscribe: () => void;
	readonly #probe: {readonly retryMinMs?: number; readonly retryMaxMs?: number};

	constructor(agent: Agent, label: string, initial: ConnectionState, options: DialOptions = {}) {
		this.agent = agent;
		this.#probe = {
			...(options.probeMinMs === undefined ? {} : {retryMinMs: options.probeMinMs}),
			...(options.probeMaxMs === undefined ? {} : {retryMaxMs: options.probeMaxMs}),
		};
		this.#label = label;
		this.#state = initial;
		this.#unsubscribe = agent.subscribe(event => {
			if (event.type === 'channel' && !this.lifetime.signal.aborted) {
				if (event.status === 'up') {
					this.setState({state: 'connected', since: event.at});
				} else {
					// `auto`: the next stream may be another guest; it is probed afresh.
					protocolSwitchOf(agent)?.use(undefined);
				}

				this.onChannel(event);
			}
		});
	}

	get label(): string {
		return this.#label;
	}

	get state(): ConnectionState {
		return this.#state;
	}

	get protocol(): GuestProtocol | undefined {
		return guestProtocolOf(this.agent);
	}

	subscribe(listener: (event: ConnectionEvent) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	abstract start(): Promise<void>;

	refused(_reason: string): void {
		// Only a dialling connection retries; the others just end.
	}

	async close(): Promise<void> {
		if (this.lifetime.signal.aborted) {
			return;
		}

		this.lifetime.abort();
		this.#unsubscribe();
		// The stream first: a listening server's close waits for its connections to end.
		this.agent.detach('monitor closed');
		await this.stop();
		this.setState({state: 'disconnected', reason: 'monitor closed'});
	}

	protected abstract onChannel(event: ChannelEvent): void;

	/**
	 * Give a new stream to the agent; with `--protocol auto`, first probe it (docs/PROTOCOL.md §9)
	 * and pick the protocol it answered in. A stream that ends while probed ends like any other.
	 */
	protected attachStream(channel: Channel): void {
		const wire = protocolSwitchOf(this.agent);
		if (wire?.choice !== 'auto') {
			this.agent.attach(channel);
			return;
		}

		wire.use(undefined);
		const since = Date.now();
		detectGuestProtocol(channel, {
			...this.#probe,
			signal: this.lifetime.signal,
			onProbe: (probes, nextInMs) => {
				this.setState({state: 'detecting', since, probes, nextInMs});
			},
		}).then(
			found => {
				wire.use(found.protocol);
				this.emit({
					type: 'log',
					level: 'info',
					message: `${this.label}: the guest speaks ${protocolLabel(found.protocol)} (${found.evidence}, ${Math.round(found.ms)}ms)`,
				});
				this.agent.attach(found.channel);
			},
			(error: unknown) => {
				if (!this.lifetime.signal.aborted) {
					// As if the agent had had it: the same back-off or the same wait for the next guest.
					this.onChannel({type: 'channel', status: 'down', label: channel.label, reason: (error as Error).message, at: Date.now()});
				}
			},
		);
	}

	protected async stop(): Promise<void> {
		// Nothing to release by default.
	}

	protected setLabel(label: string): void {
		this.#label = label;
	}

	protected setState(state: ConnectionState): void {
		this.#state = state;
		this.emit({type: 'state', state});
	}

	protected emit(event: ConnectionEvent): void {
		for (const listener of this.#listeners) {
			listener(event);
		}
	}
}

/** Dial, and dial again with exponential back-off whenever the stream cannot be made or ends. */
class DialConnection extends AgentConnection {
	readonly #endpoint: SocketEndpoint;
	readonly #minMs: number;
	readonly #maxMs: number;
	readonly #stableMs: number;
	/** Failed attempts in a row: the back-off grows with them. */
	#failures = 0;
	#upAt: number | undefined;
	#refusal: string | undefined;
	#timer: NodeJS.Timeout | undefined;

	constructor(agent: Agent, endpoint: SocketEndpoint, options: DialOptions) {
		super(agent, describeEndpoint(endpoint), {state: 'connecting'}, options);
		this.#endpoint = endpoint;
		this.#minMs = options.retryMinMs ?? 250;
		this.#maxMs = options.retryMaxMs ?? 5000;
		this.#stableMs = options.stableMs ?? 1000;
	}

	async start(): Promise<void> {
		void this.#attempt();
	}

	override refused(reason: string): void {
		this.#refusal = reason;
		this.emit({type: 'log', level: 'warn', message: `${this.label}: the guest turned this monitor away: ${reason}`});
		// The guest waits for us to close: close now, and try again after the back-off.
		this.agent.detach(reason);
	}

	protected onChannel(event: ChannelEvent): void {
		if (event.status === 'up') {
			this.#upAt = event.at;
			return;
		}

		const lived = event.at - (this.#upAt ?? event.at);
		if (lived >= this.#stableMs && this.#refusal === undefined) {
			// A good connection: the next one starts the back-off afresh.
			this.#failures = 0;
		}

		this.#upAt = undefined;
		this.#retry(this.#refusal ?? event.reason ?? 'stream closed');
		this.#refusal = undefined;
	}

	protected override async stop(): Promise<void> {
		clearTimeout(this.#timer);
	}

	async #attempt(): Promise<void> {
		let channel: Channel;
		try {
			channel = await connectEndpoint(this.#endpoint);
		} catch (error) {
			if (!this.lifetime.signal.aborted) {
				this.#retry((error as Error).message);
			}

			return;
		}

		if (this.lifetime.signal.aborted) {
			channel.destroy();
			return;
		}

		this.attachStream(channel);
	}

	#retry(reason: string): void {
		this.#failures++;
		const inMs = retryDelay(this.#failures, this.#minMs, this.#maxMs);
		this.setState({state: 'retrying', attempt: this.#failures, inMs, reason});
		this.#timer = setTimeout(() => {
			void this.#attempt();
		}, inMs);
	}
}

/** Listen and take one guest at a time: a second one is turned away while the first is there. */
class ListenConnection extends AgentConnection {
	readonly #endpoint: SocketEndpoint;
	#listener: Listener | undefined;

	constructor(agent: Agent, endpoint: SocketEndpoint, options: DialOptions = {}) {
		super(agent, describeEndpoint(endpoint), {state: 'listening'}, options);
		this.#endpoint = endpoint;
	}

	async start(): Promise<void> {
		const listener = await listenEndpoint(this.#endpoint, channel => {
			if (this.lifetime.signal.aborted || this.state.state !== 'listening') {
				this.emit({type: 'log', level: 'warn', message: `refused a second connection on ${channel.label}: a guest is already connected`});
				channel.destroy();
				return;
			}

			this.attachStream(channel);
		});
		if (this.lifetime.signal.aborted) {
			// close() came while the socket was being set up: it found nothing to close then.
			await listener.close();
			return;
		}

		this.#listener = listener;
		this.setLabel(listener.label);
		this.setState({state: 'listening'});
	}

	protected onChannel(event: ChannelEvent): void {
		if (event.status === 'down') {
			this.setState({state: 'listening'});
		}
	}

	protected override async stop(): Promise<void> {
		await this.#listener?.close();
	}
}

/** One stream already held (a socket pair, an inherited descriptor): no reconnecting. */
class HeldConnection extends AgentConnection {
	readonly #channel: Channel;

	constructor(agent: Agent, channel: Channel, options: DialOptions = {}) {
		super(agent, channel.label, {state: 'connecting'}, options);
		this.#channel = channel;
	}

	async start(): Promise<void> {
		this.attachStream(this.#channel);
	}

	protected onChannel(event: ChannelEvent): void {
		if (event.status === 'down') {
			this.setState({state: 'disconnected', reason: event.reason ?? 'stream closed'});
		}
	}

	protected override async stop(): Promise<void> {
		this.#channel.destroy();
	}
}

/** The connection for a `--connect`/`--listen`/`--tcp` target. */
export function connectionFor(target: SessionTarget, agent: Agent, options: DialOptions = {}): Connection {
	return target.mode === 'connect' ? new DialConnection(agent, target.endpoint, options) : new ListenConnection(agent, target.endpoint, options);
}

/** A connection over a channel the caller already holds. */
export function heldConnection(agent: Agent, channel: Channel, options: DialOptions = {}): Connection {
	return new HeldConnection(agent, channel, options);
}
