import type net from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {socketChannel} from '../../src/transport/socket-channel.js';
import {NdjsonProtocol, onJsonLines} from '../helpers/ndjson-protocol.js';
import {socketPair, waitFor} from '../helpers/socket-pair.js';
import {jobs, logs, makeEnd, onCleanup, runCleanups, transitions} from '../engine/helpers.js';

afterEach(runCleanups);

type Request = {execute: string; arguments: Record<string, unknown>; id: string};

/**
 * The other end of a newline-delimited JSON channel, answering like qemu-ga: `sync` with 0xFF
 * and the id (after a stale line, to prove it is skipped), `ping` at once, `slow` only when the
 * test says, `shutdown` never (the test closes the stream or lets the timeout pass).
 */
function ndjsonPeer(socket: net.Socket) {
	const seen: Request[] = [];
	const slow: Request[] = [];
	const send = (value: unknown) => socket.write(`${JSON.stringify(value)}\n`);
	onJsonLines<Request>(socket, request => {
		seen.push(request);
		if (request.execute === 'sync') {
			send({return: 'stale answer from before', id: 'k0'});
			socket.write(Buffer.concat([Buffer.from([0xff]), Buffer.from(`${JSON.stringify({return: request.arguments.id})}\n`)]));
		} else if (request.execute === 'ping') {
			send({return: {pong: request.arguments}, id: request.id});
		} else if (request.execute === 'fail') {
			send({error: {class: 'GenericError', desc: 'it failed'}, id: request.id});
		} else if (request.execute === 'slow') {
			slow.push(request);
		}
	});
	return {
		seen,
		executed: () => seen.map(request => request.execute),
		answerSlow(reverse = false) {
			for (const request of reverse ? slow.splice(0).reverse() : slow.splice(0)) {
				send({return: `slow ${String(request.arguments.n)}`, id: request.id});
			}
		},
		slowCount: () => slow.length,
	};
}

async function setup() {
	const pair = await socketPair();
	onCleanup(() => {
		pair.close();
	});
	const host = makeEnd('host', {protocol: () => new NdjsonProtocol(['shutdown'])});
	host.agent.attach(socketChannel(pair.a, 'ndjson'));
	return {pair, host, peer: ndjsonPeer(pair.b)};
}

describe('a second wire protocol (newline-delimited JSON) under the same engine', () => {
	it('sends the resync first and skips what came before its 0xFF; errors carry their class', async () => {
		const {host, peer} = await setup();
		await expect(host.agent.call('ping', [{n: 1}])).resolves.toEqual({pong: {n: 1}});
		expect(peer.executed()).toEqual(['sync', 'ping']);
		expect(jobs(host.events).filter(line => line.endsWith('→done'))).toEqual(['client #2 sync waiting→done', 'client #1 ping waiting→done']);
		expect(logs(host.events).some(line => /skipped \d+ bytes of garbage/u.test(line))).toBe(true);
		await expect(host.agent.call('fail')).rejects.toMatchObject({name: 'RPCFailed', code: -500, faultString: 'it failed'});
		expect(peer.executed()).toEqual(['sync', 'ping', 'fail']); // In step: no second resync.
	});

	it('a request that expects no reply succeeds when the channel closes, and says so', async () => {
		const {pair, host, peer} = await setup();
		const shutdown = host.agent.call('shutdown', [{mode: 'halt'}], {timeoutMs: 5000});
		await waitFor(() => peer.executed().includes('shutdown'));
		pair.b.end();
		await expect(shutdown).resolves.toEqual({noReply: 'channel-closed'});
		expect(jobs(host.events)).toContain('client #1 shutdown waiting→done');
	});

	it('a request that expects no reply succeeds when its timeout passes in silence; the next request resyncs', async () => {
		const {host, peer} = await setup();
		await expect(host.agent.call('shutdown', [], {timeoutMs: 150})).resolves.toEqual({noReply: 'silence'});
		expect(host.agent.clientState).toBe('IDLE');
		await expect(host.agent.call('ping', [{n: 2}])).resolves.toEqual({pong: {n: 2}});
		expect(peer.executed()).toEqual(['sync', 'shutdown', 'sync', 'ping']);
	});

	it('after a timeout the next request waits for the late answer, then resyncs; unparsable input resyncs too', async () => {
		const {pair, host, peer} = await setup();
		await expect(host.agent.call('slow', [{n: 1}], {timeoutMs: 100})).rejects.toMatchObject({code: 'ETIMEDOUT'});
		const next = host.agent.call('ping', [{n: 3}]);
		await waitFor(() => jobs(host.events).includes('client #3 ping queued→held'), 5000, 'the held ping');
		peer.answerSlow();
		await expect(next).resolves.toEqual({pong: {n: 3}});
		expect(peer.executed()).toEqual(['sync', 'slow', 'sync', 'ping']);

		pair.b.write('{this is not json\n');
		await waitFor(() => logs(host.events).some(line => line.includes('BAD_JSON') || line.includes('unparsable line')), 5000, 'the parse error');
		await expect(host.agent.call('ping', [{n: 4}])).resolves.toEqual({pong: {n: 4}});
		expect(peer.executed().slice(-2)).toEqual(['sync', 'ping']);
	});

	it('keeps as many requests outstanding as the peer says it can hold, matched by their keys', async () => {
		const {host, peer} = await setup();
		await host.agent.call('ping', [{}]); // In step first.
		host.agent.setPeerCapacity(2);
		const first = host.agent.call('slow', [{n: 1}]);
		const second = host.agent.call('slow', [{n: 2}]);
		await waitFor(() => peer.slowCount() === 2, 5000, 'both requests at the peer at once');
		peer.answerSlow(true); // Answered in the reverse order.
		await expect(Promise.all([first, second])).resolves.toEqual(['slow 1', 'slow 2']);
		expect(transitions(host.events).slice(-5)).toEqual([
			'client IDLE→SEND #3 slow',
			'client SEND→WAIT #3 slow',
			'client WAIT→SEND #4 slow',
			'client SEND→WAIT #4 slow',
			'client WAIT→IDLE #3 slow', // #4 was answered first.
		]);
	});
});
