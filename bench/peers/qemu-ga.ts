import {execFileSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {pollUntil, startChild} from '../lib/process.js';

/*
 * Debian's qemu-ga as the peer to beat (cases 2 and 3), run on this machine. It can shut the
 * machine down, set its clock, run programs: it runs ONLY with a block list that leaves the
 * commands below, and the bench refuses to talk to it unless guest-info confirms that.
 * (7.2 has no allow list; the block list is everything `-b help` names except these.)
 * guest-sync-delimited is the qga protocol's resync (case qga); it has no side effect.
 */
const allowed = new Set(['guest-sync', 'guest-sync-delimited', 'guest-ping', 'guest-info', 'guest-file-open', 'guest-file-read', 'guest-file-close']);

const candidates = ['/usr/sbin/qemu-ga', '/usr/bin/qemu-ga'];

export function findQemuGa(): string | undefined {
	return candidates.find(file => existsSync(file));
}

export type QmpClient = {
	execute(command: string, args?: Record<string, unknown>): Promise<unknown>;
	close(): void;
};

export type QemuGa = {
	readonly version: string;
	readonly pid: number;
	readonly client: QmpClient;
	stop(): Promise<void>;
};

/** Starts qemu-ga on `dir/qga.sock` with the safe block list and connects to it. */
export async function startQemuGa(binary: string, dir: string): Promise<QemuGa> {
	const known = execFileSync(binary, ['-b', 'help'], {encoding: 'utf8'}).split(/\s+/).filter(Boolean);
	const blocked = known.filter(name => !allowed.has(name));
	const socketPath = path.join(dir, 'qga.sock');
	const child = startChild(binary, [
		'-m',
		'unix-listen',
		'-p',
		socketPath,
		'-t',
		dir,
		'-f',
		path.join(dir, 'qga.pid'),
		'-l',
		path.join(dir, 'qga.log'),
		'-b',
		blocked.join(','),
	]);
	try {
		await pollUntil(() => existsSync(socketPath) || child.process.exitCode !== null, 5000, 'qemu-ga socket');
		if (child.process.exitCode !== null) {
			throw new Error(`qemu-ga exited (${child.process.exitCode}): ${child.stderr().trim()}`);
		}

		const client = await connectQmp(socketPath);
		const info = (await client.execute('guest-info')) as {version: string; supported_commands: Array<{name: string; enabled: boolean}>};
		const enabled = info.supported_commands.filter(command => command.enabled).map(command => command.name);
		const unsafe = enabled.filter(name => !allowed.has(name));
		if (unsafe.length > 0) {
			client.close();
			throw new Error(`qemu-ga left commands enabled that the bench must not expose: ${unsafe.join(', ')}`);
		}

		return {
			version: info.version,
			pid: child.pid,
			client,
			async stop() {
				client.close();
				await child.stop();
			},
		};
	} catch (error) {
		await child.stop();
		throw error;
	}
}

async function connectQmp(socketPath: string): Promise<QmpClient> {
	const socket = await connectWithRetry(socketPath);
	let chunks: Buffer[] = [];
	let pending: {resolve: (value: unknown) => void; reject: (error: Error) => void} | undefined;
	socket.on('data', (chunk: Buffer) => {
		// Replies are one JSON object a line; a file read's line can be megabytes long.
		const newline = chunk.indexOf(0x0a);
		if (newline < 0) {
			chunks.push(chunk);
			return;
		}

		chunks.push(chunk.subarray(0, newline));
		const line = Buffer.concat(chunks).toString('utf8');
		chunks = newline + 1 < chunk.length ? [chunk.subarray(newline + 1)] : [];
		const done = pending;
		pending = undefined;
		const reply = JSON.parse(line) as {return?: unknown; error?: {class: string; desc: string}};
		if (reply.error) {
			done?.reject(new Error(`${reply.error.class}: ${reply.error.desc}`));
		} else {
			done?.resolve(reply.return);
		}
	});
	socket.on('close', () => {
		pending?.reject(new Error('qemu-ga closed the connection'));
	});
	return {
		async execute(command, args) {
			return new Promise((resolve, reject) => {
				pending = {resolve, reject};
				socket.write(`${JSON.stringify(args ? {execute: command, arguments: args} : {execute: command})}\n`);
			});
		},
		close() {
			socket.destroy();
		},
	};
}

async function connectWithRetry(socketPath: string): Promise<net.Socket> {
	let lastError: Error | undefined;
	for (let attempt = 0; attempt < 50; attempt++) {
		try {
			return await new Promise<net.Socket>((resolve, reject) => {
				const socket = net.connect(socketPath);
				socket.once('connect', () => resolve(socket));
				socket.once('error', reject);
			});
		} catch (error) {
			lastError = error as Error;
			await new Promise(resolve => setTimeout(resolve, 20));
		}
	}

	throw lastError ?? new Error('cannot connect to qemu-ga');
}

/** qemu-ga 7.2 refuses a guest-file-read count above 48 MiB. */
export const readCountMax = 48 * 1024 * 1024;

/**
 * open, read to the end in chunks of `count` bytes, close; returns the bytes. qemu-ga allocates
 * (and zeroes) a buffer of `count` bytes for every read, so a caller that knows the size reads
 * faster than one that asks for the largest chunk allowed.
 */
export async function readFileThroughQemuGa(client: QmpClient, file: string, count = readCountMax): Promise<Buffer> {
	const handle = (await client.execute('guest-file-open', {path: file, mode: 'r'})) as number;
	const parts: Buffer[] = [];
	try {
		for (;;) {
			const read = (await client.execute('guest-file-read', {handle, count})) as {count: number; 'buf-b64': string; eof: boolean};
			parts.push(Buffer.from(read['buf-b64'], 'base64'));
			if (read.eof || read.count === 0) {
				break;
			}
		}
	} finally {
		await client.execute('guest-file-close', {handle});
	}

	return Buffer.concat(parts);
}
