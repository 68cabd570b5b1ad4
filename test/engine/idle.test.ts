import {afterEach, describe, expect, it, vi} from 'vitest';
import {attachBoth, connectedPair, runCleanups} from './helpers.js';

afterEach(() => {
	vi.restoreAllMocks();
	runCleanups();
});

describe('an idle link keeps no timer (a fleet of idle guests must not wake the monitor)', () => {
	it('20 connected pairs with traffic both ways start no stall watch while every write is taken at once', async () => {
		const intervals = vi.spyOn(globalThis, 'setInterval');
		const pairs = await Promise.all(Array.from({length: 20}, async () => connectedPair()));
		for (const {pair, host, guest} of pairs) {
			attachBoth(pair, host, guest);
		}

		for (const {host, guest} of pairs) {
			await expect(host.agent.call('va.ping', [])).resolves.toBe('dummy');
			await expect(guest.agent.call('va.ping', [])).resolves.toBe('dummy');
		}

		expect(intervals).not.toHaveBeenCalled();
	});

	it('a write the peer does not take is watched, and the stuck channel is closed', async () => {
		const intervals = vi.spyOn(globalThis, 'setInterval');
		const {pair, host, guest} = await connectedPair({sendStallMs: 200});
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.ping', [])).resolves.toBe('dummy');
		// The guest stops reading; 1.5 MiB (under the body limit) cannot all go into the socket buffers.
		pair.b.pause();
		const big = 'x'.repeat(1536 * 1024);
		const call = host.agent.call('va.ping', [big], {timeoutMs: 5000});
		await expect(call).rejects.toThrow();
		expect(intervals).toHaveBeenCalled();
		expect(host.agent.connected).toBe(false);
	});
});
