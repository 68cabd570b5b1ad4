import {afterEach, describe, expect, it} from 'vitest';
import {socketChannel} from '../../src/transport/socket-channel.js';
import type {Channel} from '../../src/transport/channel.js';
import {type SocketPair, socketPair} from '../helpers/socket-pair.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
	for (const cleanup of cleanups.splice(0)) {
		cleanup();
	}
});

/** A started socketChannel over one end of a real UNIX socket pair, closed after the test. */
async function eagerChannel(close: (error?: Error) => void = () => undefined): Promise<{pair: SocketPair; channel: Channel}> {
	const pair = await socketPair();
	cleanups.push(() => {
		pair.close();
	});
	const channel = socketChannel(pair.a, 'eager');
	channel.start({data() {}, close});
	return {pair, channel};
}

describe('socketChannel.writeEager (one wake-up less per message when the kernel takes the bytes at once)', () => {
	it('says "flushed" on an idle socket, and the bytes arrive', async () => {
		const {pair, channel} = await eagerChannel();
		const received = new Promise<Buffer>(resolve => pair.b.once('data', resolve));
		expect(channel.writeEager!(Buffer.from('hello'))).toBe('flushed');
		expect((await received).toString()).toBe('hello');
	});

	it('returns a promise while the peer does not read, which resolves once it does', async () => {
		const {pair, channel} = await eagerChannel();
		pair.b.pause();
		// More than any socket buffer: the kernel cannot take it at once.
		const big = Buffer.alloc(16 * 1024 * 1024, 0x61);
		const pending = channel.writeEager!(big);
		expect(pending).toBeInstanceOf(Promise);
		let total = 0;
		pair.b.on('data', (chunk: Buffer) => {
			total += chunk.length;
		});
		pair.b.resume();
		await pending;
		await new Promise(resolve => setTimeout(resolve, 50));
		expect(total).toBe(big.length);
	});

	it('rejects once the channel is closed', async () => {
		const {channel} = await eagerChannel();
		channel.destroy();
		await expect(channel.writeEager!(Buffer.from('x'))).rejects.toThrow(/closed/);
	});
	it('keeps the order of writes made while an earlier one is still going out', async () => {
		const {pair, channel} = await eagerChannel();
		pair.b.pause();
		const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
		const first = channel.writeEager!(big);
		expect(first).toBeInstanceOf(Promise);
		const second = channel.writeEager!(Buffer.from('tail'));
		const chunks: Buffer[] = [];
		pair.b.on('data', (chunk: Buffer) => chunks.push(chunk));
		pair.b.resume();
		await first;
		await second;
		await new Promise(resolve => setTimeout(resolve, 50));
		const received = Buffer.concat(chunks);
		expect(received.length).toBe(big.length + 4);
		expect(received.subarray(0, big.length).equals(big)).toBe(true);
		expect(received.subarray(big.length).toString()).toBe('tail');
	});

	it('sends the right bytes on each socket when writes alternate between sockets and some wait', async () => {
		// Flushed writes share one write request: it must never carry bytes to the wrong socket
		// or be taken while a write that waits still holds it.
		const x = await eagerChannel();
		const y = await eagerChannel();
		const collect = (pair: SocketPair) => {
			const chunks: Buffer[] = [];
			pair.b.on('data', (chunk: Buffer) => chunks.push(chunk));
			return chunks;
		};
		x.pair.b.pause();
		const fromX = collect(x.pair);
		const fromY = collect(y.pair);
		expect(x.channel.writeEager!(Buffer.from('x1'))).toBe('flushed');
		expect(y.channel.writeEager!(Buffer.from('y1'))).toBe('flushed');
		const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
		const waiting = x.channel.writeEager!(big);
		expect(waiting).toBeInstanceOf(Promise);
		expect(y.channel.writeEager!(Buffer.from('y2'))).toBe('flushed');
		const afterBig = x.channel.writeEager!(Buffer.from('x2'));
		expect(y.channel.writeEager!(Buffer.from('y3'))).toBe('flushed');
		x.pair.b.resume();
		await waiting;
		if (afterBig !== 'flushed') {
			await afterBig;
		}

		await new Promise(resolve => setTimeout(resolve, 50));
		const xBytes = Buffer.concat(fromX);
		expect(xBytes.length).toBe(2 + big.length + 2);
		expect(xBytes.subarray(0, 2).toString()).toBe('x1');
		expect(xBytes.subarray(2, 2 + big.length).equals(big)).toBe(true);
		expect(xBytes.subarray(2 + big.length).toString()).toBe('x2');
		expect(Buffer.concat(fromY).toString()).toBe('y1y2y3');
	});

	it('rejects a write the peer can no longer take, and closes the channel with that error', async () => {
		let closedBy: (error: Error | undefined) => void = () => undefined;
		const closed = new Promise<Error | undefined>(resolve => {
			closedBy = resolve;
		});
		const {pair, channel} = await eagerChannel(error => {
			closedBy(error);
		});
		// Closed in this same tick: the channel has not read the end of the stream yet, so only
		// the failed write can tell it.
		pair.b.destroy();
		let failure: unknown;
		for (let i = 0; i < 20 && failure === undefined; i++) {
			try {
				const pending = channel.writeEager!(Buffer.alloc(64 * 1024, 0x62));
				if (pending !== 'flushed') {
					await pending;
				}
			} catch (error) {
				failure = error;
			}
		}

		expect(failure).toBeInstanceOf(Error);
		expect(['EPIPE', 'ECONNRESET']).toContain((failure as NodeJS.ErrnoException).code);
		expect(await closed).toBe(failure);
		expect(pair.a.destroyed).toBe(true);
	});

	it('rejects a write still going out when the channel is destroyed', async () => {
		const {pair, channel} = await eagerChannel();
		pair.b.pause();
		const pending = channel.writeEager!(Buffer.alloc(16 * 1024 * 1024, 0x61));
		expect(pending).toBeInstanceOf(Promise);
		channel.destroy();
		await expect(pending).rejects.toThrow();
	});
});
