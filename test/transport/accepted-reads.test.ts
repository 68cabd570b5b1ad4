import net from 'node:net';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {Channel} from '../../src/transport/channel.js';
import {listenEndpoint, type SocketEndpoint} from '../../src/transport/endpoint.js';
import {tempDir, waitFor} from '../helpers/socket-pair.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

/** A real listener; resolves with the first accepted channel and the client socket connected to it. */
async function acceptOne(endpoint: SocketEndpoint): Promise<{channel: Channel; client: net.Socket; label: string}> {
	let resolveChannel!: (channel: Channel) => void;
	const accepted = new Promise<Channel>(resolve => {
		resolveChannel = resolve;
	});
	const listener = await listenEndpoint(endpoint, resolveChannel);
	cleanups.push(async () => listener.close());
	const client = endpoint.kind === 'unix' ? net.connect(endpoint.path) : net.connect(Number(listener.label.split(':').pop()), '127.0.0.1');
	cleanups.push(() => client.destroy());
	// Sent at once: the bytes may arrive before the channel is started, and must not be lost.
	client.write('early ');
	const channel = await accepted;
	cleanups.push(() => {
		channel.destroy();
	});
	return {channel, client, label: listener.label};
}

function collect(channel: Channel): {readonly chunks: Buffer[]; readonly closed: () => boolean} {
	const chunks: Buffer[] = [];
	let closed = false;
	channel.start({
		data(chunk) {
			chunks.push(chunk);
		},
		close() {
			closed = true;
		},
	});
	return {chunks, closed: () => closed};
}

describe('an accepted connection reads through one reused buffer (net onread), as a connecting one does', () => {
	it('delivers every byte in order, early ones first, each chunk its own copy', async () => {
		const temp = tempDir('va-accept-');
		cleanups.push(temp.remove);
		const {channel, client} = await acceptOne({kind: 'unix', path: path.join(temp.dir, 'a.sock')});
		const {chunks} = collect(channel);
		const sent = ['early '];
		for (let i = 0; i < 30; i++) {
			const text = `chunk-${i}-${'y'.repeat(i)} `;
			sent.push(text);
			client.write(text);
			await new Promise(resolve => setTimeout(resolve, 2));
		}

		const expected = sent.join('');
		await waitFor(() => Buffer.concat(chunks).length >= expected.length, 5000, 'every byte');
		// Were a chunk a view of the reused buffer, later reads would have overwritten it.
		expect(Buffer.concat(chunks).toString()).toBe(expected);
	});

	it('answers, pauses reading (the peer is then held up by the kernel), resumes, and reports the end', async () => {
		const temp = tempDir('va-accept-');
		cleanups.push(temp.remove);
		const {channel, client} = await acceptOne({kind: 'unix', path: path.join(temp.dir, 'b.sock')});
		const {chunks, closed} = collect(channel);
		await waitFor(() => Buffer.concat(chunks).toString() === 'early ', 5000, 'the early bytes');
		const replies: Buffer[] = [];
		client.on('data', chunk => replies.push(chunk));
		expect(channel.writeEager!(Buffer.from('pong'))).toBe('flushed');
		await waitFor(() => Buffer.concat(replies).toString() === 'pong', 5000, 'the reply');

		channel.pause!();
		const flood = Buffer.alloc(4 * 1024 * 1024, 0x7a);
		client.write(flood);
		await new Promise(resolve => setTimeout(resolve, 300));
		const whilePaused = Buffer.concat(chunks).length - 'early '.length;
		// The kernel holds a few hundred KiB at most: the rest waits in the client.
		expect(whilePaused).toBeLessThan(flood.length / 2);
		expect(client.writableLength).toBeGreaterThan(0);

		channel.resume!();
		await waitFor(() => Buffer.concat(chunks).length === 'early '.length + flood.length, 10_000, 'the whole flood after resume');
		client.end();
		await waitFor(closed, 5000, 'the close');
	});

	it('works the same over TCP, with the peer address in the label', async () => {
		const {channel, client} = await acceptOne({kind: 'tcp', host: '127.0.0.1', port: 0});
		expect(channel.label).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
		const {chunks} = collect(channel);
		client.write('over tcp');
		await waitFor(() => Buffer.concat(chunks).toString() === 'early over tcp', 5000, 'the bytes over TCP');
	});
});
