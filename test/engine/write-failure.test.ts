import {afterEach, describe, expect, it} from 'vitest';
import type {Channel} from '../../src/transport/channel.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import {socketPair} from '../helpers/socket-pair.js';
import {makeEnd, onCleanup, runCleanups} from './helpers.js';

afterEach(runCleanups);

/** A real socket whose writes fail (an EIO on a port, say) while its stream stays open. */
function failingWrites(inner: Channel): Channel {
	const fail = async () => {
		throw new Error('write EIO');
	};

	return {label: inner.label, start: handlers => inner.start(handlers), write: fail, writeEager: fail, destroy: () => inner.destroy()};
}

describe('a failed write (docs/PROTOCOL.md §4: the channel is lost)', () => {
	it('fails the call, and closes the stream, so that the peer sees the end and a listening end can take a new one', async () => {
		const pair = await socketPair();
		onCleanup(() => {
			pair.close();
		});
		const peerClosed = new Promise<void>(resolve => pair.b.once('close', () => resolve()));
		pair.b.resume();
		const host = makeEnd('host');
		host.agent.attach(failingWrites(socketChannel(pair.a, 'failing')));
		await expect(host.agent.call('va.ping', [])).rejects.toMatchObject({code: 'ECONNRESET'});
		const down = host.events.find(event => event.type === 'channel' && event.status === 'down');
		expect(down).toMatchObject({reason: 'write EIO'});
		// Without the close the peer would wait for this stream forever (a guest turns every new host away meanwhile).
		await peerClosed;
		expect(pair.a.destroyed).toBe(true);
	});
});
