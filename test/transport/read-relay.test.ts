import {mkdtempSync, rmSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {Channel} from '../../src/transport/channel.js';
import {connectEndpoint} from '../../src/transport/endpoint.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
	for (const cleanup of cleanups.splice(0)) {
		cleanup();
	}
});

/** A real UNIX socket server; `accepted` is its end of the one connection made to it. */
async function server(): Promise<{socketPath: string; accepted: Promise<net.Socket>}> {
	const dir = mkdtempSync(path.join(tmpdir(), 'va-relay-'));
	const socketPath = path.join(dir, 'relay.sock');
	const listener = net.createServer();
	const accepted = new Promise<net.Socket>(resolve => listener.once('connection', resolve));
	await new Promise<void>(resolve => listener.listen(socketPath, resolve));
	cleanups.push(() => {
		listener.close();
		void accepted.then(socket => socket.destroy());
		rmSync(dir, {recursive: true, force: true});
	});
	return {socketPath, accepted};
}

/** A channel from connectEndpoint, and the server's end of it. */
async function connected(): Promise<{channel: Channel; peer: net.Socket}> {
	const {socketPath, accepted} = await server();
	const channel = await connectEndpoint({kind: 'unix', path: socketPath});
	cleanups.push(() => {
		channel.destroy();
	});
	return {channel, peer: await accepted};
}

function collect(channel: Channel): {chunks: Buffer[]; closed: Promise<void>} {
	const chunks: Buffer[] = [];
	let closed!: () => void;
	const done = new Promise<void>(resolve => {
		closed = resolve;
	});
	channel.start({
		data(chunk) {
			chunks.push(chunk);
		},
		close() {
			closed();
		},
	});
	return {chunks, closed: done};
}

const settle = async (ms = 30) => new Promise(resolve => setTimeout(resolve, ms));

describe('a connected channel reads through one reused buffer (net onread), handing on copies', () => {
	it('keeps bytes that arrive before start, and delivers them first, in order', async () => {
		const {channel, peer} = await connected();
		peer.write('first ');
		await settle();
		peer.write('second ');
		await settle();
		const {chunks} = collect(channel);
		peer.write('third');
		await settle();
		expect(Buffer.concat(chunks).toString()).toBe('first second third');
	});

	it('never lets a later read overwrite a chunk already handed on', async () => {
		const {channel, peer} = await connected();
		const {chunks} = collect(channel);
		const sent: string[] = [];
		for (let i = 0; i < 20; i++) {
			const text = `chunk-${i}-${'x'.repeat(i)}`;
			sent.push(text);
			peer.write(text);
			// One read per write: every read reuses the buffer.
			await settle(5);
		}

		await settle();
		expect(chunks.length).toBeGreaterThan(1);
		expect(chunks.map(chunk => chunk.toString()).join('')).toBe(sent.join(''));
	});

	it('pause stops the reads (the peer is held back by the kernel) and resume brings every byte', async () => {
		const {channel, peer} = await connected();
		const {chunks} = collect(channel);
		channel.pause!();
		const big = Buffer.alloc(8 * 1024 * 1024, 0x62);
		const flushed = new Promise<void>(resolve => {
			peer.write(big, () => {
				resolve();
			});
		});
		await settle(100);
		const whilePaused = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
		// The kernel's socket buffers hold far less than 8 MiB: the peer's write cannot finish.
		expect(whilePaused).toBeLessThan(big.length);
		expect(peer.writableLength).toBeGreaterThan(0);
		channel.resume!();
		await flushed;
		await settle(100);
		expect(Buffer.concat(chunks).equals(big)).toBe(true);
	});

	it('reports the end of the stream once the peer closes', async () => {
		const {socketPath, accepted} = await server();
		const channel = await connectEndpoint({kind: 'unix', path: socketPath});
		const peer = await accepted;
		const {chunks, closed} = collect(channel);
		peer.end('bye');
		await closed;
		expect(Buffer.concat(chunks).toString()).toBe('bye');
	});
});
