import type {Agent} from '../engine/agent.js';
import type {Channel} from '../transport/channel.js';
import {connectEndpoint, describeEndpoint, listenEndpoint, type Listener, type SocketEndpoint} from '../transport/endpoint.js';
import type {ConnectionState} from './session-api.js';

/** `connect`: we dial (QEMU `server=on`, or TCP); `listen`: the guest side dials us (QEMU `server=off`). */
export type SessionTarget = {
	readonly mode: 'connect' | 'listen';
	readonly endpoint: SocketEndpoint;
};

export type ConnectionOptions = {
	readonly target: SessionTarget;
	readonly agent: Agent;
	readonly onState: (state: ConnectionState) => void;
	readonly onLog: (level: 'info' | 'warn', message: string) => void;
	/** Back-off: the first retry after `retryMinMs`, doubling up to `retryMaxMs` (0.25 s → 5 s). */
	readonly retryMinMs?: number;
	readonly retryMaxMs?: number;
};

export type Connection = {
	/** e.g. `unix:/tmp/va.sock` */
	readonly label: string;
	close(): Promise<void>;
};

export function retryDelay(attempt: number, minMs: number, maxMs: number): number {
	return Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Keep the agent attached to a guest: dial with exponential back-off (and again whenever the
 * stream drops), or listen and take one guest at a time. Resolves once dialling has started or
 * the socket listens; a listen that fails (EADDRINUSE…) rejects.
 */
export async function startConnection(options: ConnectionOptions): Promise<Connection> {
	return options.target.mode === 'connect' ? dial(options) : listen(options);
}

function dial(options: ConnectionOptions): Connection {
	const {agent, onState} = options;
	const endpoint = options.target.endpoint;
	const minMs = options.retryMinMs ?? 250;
	const maxMs = options.retryMaxMs ?? 5000;
	let attempt = 0;
	let stopped = false;
	let timer: NodeJS.Timeout | undefined;

	const retry = (reason: string) => {
		attempt++;
		const inMs = retryDelay(attempt, minMs, maxMs);
		onState({state: 'retrying', attempt, inMs, reason});
		timer = setTimeout(() => {
			timer = undefined;
			void tryConnect();
		}, inMs);
	};

	const tryConnect = async () => {
		let channel: Channel;
		try {
			channel = await connectEndpoint(endpoint);
		} catch (error) {
			if (!stopped) {
				retry((error as Error).message);
			}

			return;
		}

		if (stopped) {
			channel.destroy();
			return;
		}

		attempt = 0;
		agent.attach(channel);
		if (agent.connected) {
			onState({state: 'connected', since: Date.now()});
		}
	};

	const unsubscribe = agent.subscribe(event => {
		if (event.type === 'channel' && event.status === 'down' && !stopped && timer === undefined) {
			retry(event.reason ?? 'stream closed');
		}
	});

	onState({state: 'connecting'});
	void tryConnect();
	return {
		label: describeEndpoint(endpoint),
		async close() {
			stopped = true;
			clearTimeout(timer);
			unsubscribe();
			onState({state: 'disconnected', reason: 'monitor closed'});
		},
	};
}

async function listen(options: ConnectionOptions): Promise<Connection> {
	const {agent, onState, onLog} = options;
	let stopped = false;
	const unsubscribe = agent.subscribe(event => {
		if (event.type === 'channel' && event.status === 'down' && !stopped) {
			onState({state: 'listening'});
		}
	});
	let listener: Listener;
	try {
		listener = await listenEndpoint(options.target.endpoint, channel => {
			if (stopped || agent.connected) {
				// One guest at a time: a second one is refused until the first goes.
				onLog('warn', `refused a second connection on ${channel.label}: a guest is already connected`);
				channel.destroy();
				return;
			}

			agent.attach(channel);
			if (agent.connected) {
				onState({state: 'connected', since: Date.now()});
			}
		});
	} catch (error) {
		unsubscribe();
		throw error;
	}

	onState({state: 'listening'});
	return {
		label: listener.label,
		async close() {
			stopped = true;
			unsubscribe();
			await listener.close();
			onState({state: 'disconnected', reason: 'monitor closed'});
		},
	};
}
