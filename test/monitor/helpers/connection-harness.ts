/**
 * For the connection's own tests (test/monitor/connection-*.test.ts): a host agent without a
 * Session, a record of every event the connection and the agent emit, and a bare peer on a real
 * UNIX socket that accepts, keeps what it reads, never says a word, and reports when each of its
 * sockets closes.
 */
import net from 'node:net';
import path from 'node:path';
import {rmSync} from 'node:fs';
import {Agent} from '../../../src/engine/agent.js';
import type {ChannelEvent} from '../../../src/engine/events.js';
import {MethodRegistry} from '../../../src/engine/registry.js';
import type {Connection, ConnectionEvent} from '../../../src/monitor/connection.js';
import {guestProtocolFactory, type ProtocolChoice} from '../../../src/monitor/qga/protocol-switch.js';
import type {ConnectionState} from '../../../src/monitor/session-api.js';
import {tempDir, waitFor} from '../../helpers/socket-pair.js';

export type Cleanups = Array<() => Promise<unknown> | void>;

/** Run (and forget) every cleanup, last registered first. */
export async function runCleanups(cleanups: Cleanups): Promise<void> {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
}

export function socketPathIn(cleanups: Cleanups, prefix: string): string {
	const {dir, remove} = tempDir(prefix);
	cleanups.push(remove);
	return path.join(dir, 'guest.sock');
}

export function hostAgent(cleanups: Cleanups, protocol: ProtocolChoice = 'virtagent'): Agent {
	const agent = new Agent({name: 'host', registry: new MethodRegistry(), callTimeoutMs: 3000, protocol: guestProtocolFactory(protocol)});
	cleanups.push(() => {
		agent.close();
	});
	return agent;
}

export type Recorder = {
	readonly events: ConnectionEvent[];
	/** The agent's channel events, in order. */
	readonly channel: ChannelEvent[];
	states(): ConnectionState[];
	/** The states' names, a run of the same one (probe after probe, retry after retry) once. */
	phases(): Array<ConnectionState['state']>;
	logs(): Array<{readonly level: string; readonly message: string}>;
	/** Resolves when the latest state is `state` (and `also` holds); rejects after 10 s. */
	waitForState(state: ConnectionState['state'], also?: () => boolean): Promise<ConnectionState>;
};

export function record(connection: Connection, agent: Agent): Recorder {
	const events: ConnectionEvent[] = [];
	const channel: ChannelEvent[] = [];
	connection.subscribe(event => events.push(event));
	agent.subscribe(event => {
		if (event.type === 'channel') {
			channel.push(event);
		}
	});
	const states = (): ConnectionState[] => events.flatMap(event => (event.type === 'state' ? [event.state] : []));
	return {
		events,
		channel,
		states,
		phases: () => states().flatMap((state, index, all) => (state.state === all[index - 1]?.state ? [] : [state.state])),
		logs: () => events.flatMap(event => (event.type === 'log' ? [{level: event.level, message: event.message}] : [])),
		async waitForState(state, also = () => true) {
			await waitFor(() => connection.state.state === state && also(), 10_000, `the connection ${state}`);
			return connection.state;
		},
	};
}

export type QuietPeer = {
	/** Sockets accepted so far, in order. */
	readonly sockets: readonly net.Socket[];
	/** How many of them have closed. */
	readonly closed: number;
	/** Bytes received on each socket. */
	readonly received: readonly Buffer[];
	/** Stop listening (the socket file goes) and drop every connection. */
	close(): Promise<void>;
};

/**
 * A peer that listens on `socketPath`, reads and says nothing; `onAccept` may drop a socket. With
 * `unread`, it never reads at all: what the monitor wrote stays unread, so destroying the socket
 * resets the stream (ECONNRESET on the monitor's side) instead of ending it.
 */
export async function startQuietPeer(
	socketPath: string,
	onAccept: (socket: net.Socket) => void = () => undefined,
	options: {readonly unread?: boolean} = {},
): Promise<QuietPeer> {
	const sockets: net.Socket[] = [];
	const received: Buffer[] = [];
	let closed = 0;
	rmSync(socketPath, {force: true});
	const server = net.createServer({pauseOnConnect: options.unread ?? false}, socket => {
		const index = sockets.push(socket) - 1;
		received[index] = Buffer.alloc(0);
		if (!options.unread) {
			socket.on('data', chunk => {
				received[index] = Buffer.concat([received[index]!, chunk]);
			});
		}

		socket.on('error', () => undefined);
		socket.on('close', () => {
			closed++;
		});
		onAccept(socket);
	});
	await new Promise<void>(resolve => server.listen(socketPath, resolve));
	return {
		sockets,
		received,
		get closed() {
			return closed;
		},
		async close() {
			for (const socket of sockets) {
				socket.destroy();
			}

			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
}

/** Let `ms` pass for something that must NOT happen (a timer that should have been cleared). */
export async function quietFor(ms: number): Promise<void> {
	await new Promise(resolve => setTimeout(resolve, ms));
}
