/**
 * A fake qemu-ga on a real UNIX socket, for what the real one must never do on this machine
 * (guest-shutdown, guest-exec) and for hostile agents (stale replies, garbage, 0xFF, foreign
 * ids, replies split across writes, silence). It records every request it was sent and answers
 * like qemu-ga 7.2 (docs/QGA.md) unless a test overrides a command.
 */
import {rmSync} from 'node:fs';
import net from 'node:net';

export type FakeRequest = {
	readonly execute: string;
	readonly arguments: Record<string, unknown> | undefined;
	readonly id: unknown;
	readonly raw: string;
};

export type FakeConnection = {
	readonly socket: net.Socket;
	/** `{"return": value, "id": …}` as qemu-ga writes it. */
	reply(request: FakeRequest, value: unknown): void;
	error(request: FakeRequest, errorClass: string, desc: string): void;
	write(bytes: Buffer | string): void;
	close(): void;
};

/** Answer a request your way; return false to let the default answer it. */
export type Override = (request: FakeRequest, connection: FakeConnection) => boolean | void;

export type FakeFile = {readonly data: Buffer};

export type FakeQemuGa = {
	readonly path: string;
	readonly requests: FakeRequest[];
	/** Bytes of every connection, as received. */
	readonly received: Buffer[];
	readonly files: Map<string, FakeFile>;
	/** Commands guest-info reports as enabled (the rest of `known` as disabled). */
	enabled: Set<string>;
	override(execute: string, handler: Override): void;
	/** Number of connections accepted so far. */
	readonly connections: number;
	/** Handles opened and not closed. */
	readonly openHandles: ReadonlySet<number>;
	dropConnections(): void;
	close(): Promise<void>;
};

const known = [
	'guest-sync',
	'guest-sync-delimited',
	'guest-ping',
	'guest-info',
	'guest-file-open',
	'guest-file-read',
	'guest-file-close',
	'guest-file-seek',
	'guest-exec',
	'guest-exec-status',
	'guest-shutdown',
	'guest-suspend-disk',
	'guest-get-time',
];

export async function startFakeQemuGa(socketPath: string): Promise<FakeQemuGa> {
	const requests: FakeRequest[] = [];
	const received: Buffer[] = [];
	const files = new Map<string, FakeFile>();
	const overrides = new Map<string, Override>();
	const sockets = new Set<net.Socket>();
	const handles = new Map<number, {data: Buffer; offset: number}>();
	const processes = new Map<number, {out: Buffer}>();
	let nextHandle = 1000;
	let nextPid = 4000;
	let connections = 0;
	const fake = {enabled: new Set(known.filter(name => name !== 'guest-suspend-disk'))};

	const answer = (request: FakeRequest, connection: FakeConnection): void => {
		const override = overrides.get(request.execute);
		if (override && override(request, connection) !== false) {
			return;
		}

		if (!known.includes(request.execute)) {
			connection.error(request, 'CommandNotFound', `The command ${request.execute} has not been found`);
			return;
		}

		if (!fake.enabled.has(request.execute)) {
			connection.error(request, 'CommandNotFound', `Command ${request.execute} has been disabled`);
			return;
		}

		const args = request.arguments ?? {};
		switch (request.execute) {
			case 'guest-sync-delimited': {
				connection.write(Buffer.concat([Buffer.of(0xff), Buffer.from(`${JSON.stringify({return: args['id']})}\n`)]));
				return;
			}

			case 'guest-sync': {
				connection.reply(request, args['id']);
				return;
			}

			case 'guest-ping': {
				connection.reply(request, {});
				return;
			}

			case 'guest-info': {
				connection.reply(request, {
					version: '7.2.99-fake',
					supported_commands: known.map(name => ({
						enabled: fake.enabled.has(name),
						name,
						'success-response': !name.startsWith('guest-s') || name.startsWith('guest-sync'),
					})),
				});
				return;
			}

			case 'guest-file-open': {
				const file = files.get(String(args['path']));
				if (!file) {
					connection.error(request, 'GenericError', `failed to open file '${String(args['path'])}' (mode: 'r'): No such file or directory`);
					return;
				}

				const handle = nextHandle++;
				handles.set(handle, {data: file.data, offset: 0});
				connection.reply(request, handle);
				return;
			}

			case 'guest-file-read': {
				const open = handles.get(Number(args['handle']));
				if (!open) {
					connection.error(request, 'GenericError', `handle '${String(args['handle'])}' has not been found`);
					return;
				}

				const count = typeof args['count'] === 'number' ? args['count'] : 4096;
				const bytes = open.data.subarray(open.offset, open.offset + count);
				open.offset += bytes.length;
				connection.reply(request, {count: bytes.length, 'buf-b64': bytes.toString('base64'), eof: open.offset >= open.data.length});
				return;
			}

			case 'guest-file-seek': {
				const open = handles.get(Number(args['handle']));
				if (!open) {
					connection.error(request, 'GenericError', `handle '${String(args['handle'])}' has not been found`);
					return;
				}

				const base = args['whence'] === 'end' ? open.data.length : args['whence'] === 'cur' ? open.offset : 0;
				open.offset = Math.max(0, base + Number(args['offset'] ?? 0));
				connection.reply(request, {position: open.offset, eof: open.offset >= open.data.length});
				return;
			}

			case 'guest-file-close': {
				if (!handles.delete(Number(args['handle']))) {
					connection.error(request, 'GenericError', `handle '${String(args['handle'])}' has not been found`);
					return;
				}

				connection.reply(request, {});
				return;
			}

			case 'guest-exec': {
				const pid = nextPid++;
				processes.set(pid, {out: Buffer.from(`[    0.000000] fake ${String(args['path'])}\n`)});
				connection.reply(request, {pid});
				return;
			}

			case 'guest-exec-status': {
				const process = processes.get(Number(args['pid']));
				if (!process) {
					connection.error(request, 'GenericError', "Invalid parameter 'pid'");
					return;
				}

				processes.delete(Number(args['pid']));
				connection.reply(request, {exitcode: 0, 'out-data': process.out.toString('base64'), exited: true});
				return;
			}

			case 'guest-shutdown': {
				return; // success-response: false
			}

			default: {
				connection.reply(request, {});
			}
		}
	};

	const server = net.createServer(socket => {
		connections++;
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => undefined);
		const connection: FakeConnection = {
			socket,
			reply(request, value) {
				const body = request.id === undefined ? {return: value} : {return: value, id: request.id};
				connection.write(`${JSON.stringify(body)}\n`);
			},
			error(request, errorClass, desc) {
				const error = {class: errorClass, desc};
				connection.write(`${JSON.stringify(request.id === undefined ? {error} : {id: request.id, error})}\n`);
			},
			write(bytes) {
				if (!socket.destroyed) {
					socket.write(bytes);
				}
			},
			close() {
				socket.destroy();
			},
		};
		let pending = '';
		socket.on('data', (chunk: Buffer) => {
			received.push(chunk);
			let start = 0;
			for (let index = 0; index < chunk.length; index++) {
				if (chunk[index] === 0xff) {
					pending = '';
					connection.write(`${JSON.stringify({error: {class: 'GenericError', desc: "JSON parse error, stray '\uFFFD'"}})}\n`);
					start = index + 1;
				} else if (chunk[index] === 0x0a) {
					const line = pending + chunk.toString('utf8', start, index);
					pending = '';
					start = index + 1;
					handleLine(line, connection);
				}
			}

			pending += chunk.toString('utf8', start);
		});
	});

	const handleLine = (line: string, connection: FakeConnection) => {
		if (line.trim() === '') {
			return;
		}

		let message: Record<string, unknown>;
		try {
			message = JSON.parse(line) as Record<string, unknown>;
		} catch {
			connection.write(`${JSON.stringify({error: {class: 'GenericError', desc: 'JSON parse error'}})}\n`);
			return;
		}

		const request: FakeRequest = {
			execute: String(message['execute']),
			arguments: message['arguments'] as Record<string, unknown> | undefined,
			id: message['id'],
			raw: line,
		};
		requests.push(request);
		answer(request, connection);
	};

	rmSync(socketPath, {force: true});
	await new Promise<void>(resolve => server.listen(socketPath, resolve));
	return {
		path: socketPath,
		requests,
		received,
		files,
		get enabled() {
			return fake.enabled;
		},
		set enabled(names) {
			fake.enabled = names;
		},
		override(execute, handler) {
			overrides.set(execute, handler);
		},
		get connections() {
			return connections;
		},
		get openHandles() {
			return new Set(handles.keys());
		},
		dropConnections() {
			for (const socket of sockets) {
				socket.destroy();
			}
		},
		async close() {
			for (const socket of sockets) {
				socket.destroy();
			}

			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
}
