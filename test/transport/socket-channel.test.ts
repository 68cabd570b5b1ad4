import {afterEach, describe, expect, it} from 'vitest';
import {socketChannel} from '../../src/transport/socket-channel.js';
import {socketPair} from '../helpers/socket-pair.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
	for (const cleanup of cleanups.splice(0)) {
		cleanup();
	}
});

describe('socketChannel.writeEager (one wake-up less per message when the kernel takes the bytes at once)', () => {
	it('says "flushed" on an idle socket, and the bytes arrive', async () => {
		const pair = await socketPair();
		cleanups.push(() => {
			pair.close();
		});
		const channel = socketChannel(pair.a, 'eager');
		channel.start({data() {}, close() {}});
		const received = new Promise<Buffer>(resolve => pair.b.once('data', resolve));
		expect(channel.writeEager!(Buffer.from('hello'))).toBe('flushed');
		expect((await received).toString()).toBe('hello');
	});

	it('returns a promise while the peer does not read, which resolves once it does', async () => {
		const pair = await socketPair();
		cleanups.push(() => {
			pair.close();
		});
		const channel = socketChannel(pair.a, 'eager');
		channel.start({data() {}, close() {}});
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
		const pair = await socketPair();
		cleanups.push(() => {
			pair.close();
		});
		const channel = socketChannel(pair.a, 'eager');
		channel.start({data() {}, close() {}});
		channel.destroy();
		await expect(channel.writeEager!(Buffer.from('x'))).rejects.toThrow(/closed/);
	});
});
