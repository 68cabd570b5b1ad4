import net from 'node:net';
import {rmSync, statSync} from 'node:fs';
import type {Channel} from './channel.js';
import {ReadRelay} from './read-relay.js';
import {socketChannel} from './socket-channel.js';

/** Where a stream socket lives: a UNIX socket path or a TCP host:port. */
export type SocketEndpoint = {readonly kind: 'unix'; readonly path: string} | {readonly kind: 'tcp'; readonly host: string; readonly port: number};

export function describeEndpoint(endpoint: SocketEndpoint): string {
	return endpoint.kind === 'unix' ? `unix:${endpoint.path}` : `tcp:${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
}

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (localhost); throws a one-line error otherwise. */
export function parseTcpAddress(text: string): SocketEndpoint {
	const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
	const port = match ? Number(match[3]) : Number.NaN;
	if (!match || port < 1 || port > 65_535) {
		throw new Error(`invalid TCP address '${text}' (expected HOST:PORT)`);
	}

	return {kind: 'tcp', host: match[1] ?? (match[2] || '127.0.0.1'), port};
}

function connectOptions(endpoint: SocketEndpoint): net.NetConnectOpts {
	return endpoint.kind === 'unix' ? {path: endpoint.path} : {host: endpoint.host, port: endpoint.port};
}

/** Connect once; resolves with a Channel when connected, rejects with the OS error. */
export async function connectEndpoint(endpoint: SocketEndpoint): Promise<Channel> {
	return new Promise<Channel>((resolve, reject) => {
		const reads = new ReadRelay();
		const socket = net.connect({...connectOptions(endpoint), onread: reads.onread});
		const onError = (error: Error) => {
			socket.destroy();
			reject(error);
		};

		socket.once('error', onError);
		socket.once('connect', () => {
			socket.off('error', onError);
			resolve(socketChannel(socket, describeEndpoint(endpoint), reads));
		});
	});
}

export type Listener = {
	readonly label: string;
	close(): Promise<void>;
};

/**
 * Listen and hand each accepted connection to `onChannel`. A stale UNIX socket file (nobody
 * listening) is replaced; a live one is an error (EADDRINUSE).
 */
export async function listenEndpoint(endpoint: SocketEndpoint, onChannel: (channel: Channel) => void): Promise<Listener> {
	if (endpoint.kind === 'unix') {
		await removeStaleSocket(endpoint.path);
	}

	// Accepted paused, so that the connection's reads can move to a ReadRelay before the first one.
	const server = net.createServer({pauseOnConnect: true}, accepted => {
		const peer = endpoint.kind === 'unix' ? describeEndpoint(endpoint) : `tcp:${accepted.remoteAddress}:${accepted.remotePort}`;
		const reads = new ReadRelay();
		onChannel(socketChannel(readingThrough(accepted, reads), peer, reads));
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(endpoint.kind === 'unix' ? {path: endpoint.path} : {host: endpoint.host, port: endpoint.port}, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const address = server.address();
	const label = endpoint.kind === 'unix' || typeof address !== 'object' || !address ? describeEndpoint(endpoint) : `tcp:${address.address}:${address.port}`;
	return {
		label,
		async close() {
			await new Promise<void>(resolve => {
				server.close(() => {
					resolve();
				});
			});
			if (endpoint.kind === 'unix') {
				rmSync(endpoint.path, {force: true});
			}
		},
	};
}

/**
 * An accepted connection as a socket that reads through `reads` (net's `onread`, as a connecting
 * socket does): Node 20's net.Server offers no `onread`, but a socket made from a handle takes
 * one. The accepted socket, created paused and never read, hands its handle over and is
 * destroyed empty (which also takes it off the server's count: closing the listener does not
 * wait for the connection, as before, since the daemon closes its channel itself).
 */
function readingThrough(accepted: net.Socket, reads: ReadRelay): net.Socket {
	const internals = accepted as unknown as {_handle: unknown};
	const handle = internals._handle;
	if (!handle) {
		return accepted; // Already gone (reset before we saw it): its 'close' reports that.
	}

	internals._handle = null;
	accepted.destroy();
	return new net.Socket({handle, onread: reads.onread, readable: true, writable: true} as unknown as net.SocketConstructorOpts);
}

async function removeStaleSocket(socketPath: string): Promise<void> {
	try {
		if (!statSync(socketPath).isSocket()) {
			throw new Error(`${socketPath} exists and is not a socket`);
		}
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return;
		}

		throw error;
	}

	const live = await new Promise<boolean>(resolve => {
		const probe = net.connect(socketPath);
		probe.once('connect', () => {
			probe.destroy();
			resolve(true);
		});
		probe.once('error', () => {
			resolve(false);
		});
	});
	if (live) {
		const error = new Error(`${socketPath}: another process is listening there`) as NodeJS.ErrnoException;
		error.code = 'EADDRINUSE';
		throw error;
	}

	rmSync(socketPath, {force: true});
}
