import type net from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import type {WireEvent} from '../../src/engine/events.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import type {WireProtocol} from '../../src/wire/types.js';
import {NdjsonProtocol, onJsonLines} from '../helpers/ndjson-protocol.js';
import {socketPair, waitFor} from '../helpers/socket-pair.js';
import {heldChannel, jobs, logs as allLogs, makeEnd, onCleanup, runCleanups, transitions} from './helpers.js';

/*
 * The client half's paths an XML-RPC pair never takes (issue #10, docs/mutation.md): the
 * protocol's resync request, no-reply requests, untagged and late answers, held and cancelled
 * jobs, a capacity above 1, an answer that beats its write callback, the resets' bookkeeping.
 * The peer is a real socket end driven line by line by the test (the ndjson protocol of
 * test/helpers/ndjson-protocol.ts, shaped like qemu-ga's).
 */

afterEach(runCleanups);

type Request = {execute: string; arguments: Record<string, unknown>; id: string};

/** The far end: it answers `sync` (unless told not to) and `ping` at once; the test answers the rest. */
function scriptedPeer(socket: net.Socket, autoSync = true) {
	const requests: Request[] = [];
	const line = (value: unknown) => socket.write(`${JSON.stringify(value)}\n`);
	const answerSync = (request: Request) =>
		socket.write(Buffer.concat([Buffer.from([0xff]), Buffer.from(`${JSON.stringify({return: request.arguments.id})}\n`)]));
	onJsonLines<Request>(socket, request => {
		requests.push(request);
		if (request.execute === 'sync' && autoSync) {
			answerSync(request);
		} else if (request.execute === 'ping') {
			line({return: 'pong', id: request.id});
		}
	});
	return {
		requests,
		executed: () => requests.map(request => request.execute),
		line,
		answerSync,
		last: (execute: string) => requests.findLast(request => request.execute === execute)!,
	};
}

async function setup(options: {autoSync?: boolean; noReply?: string[]; protocol?: () => WireProtocol; lagging?: boolean; callTimeoutMs?: number} = {}) {
	const pair = await socketPair();
	onCleanup(() => {
		pair.close();
	});
	const host = makeEnd('host', {protocol: options.protocol ?? (() => new NdjsonProtocol(options.noReply ?? [])), callTimeoutMs: options.callTimeoutMs});
	const lagging = heldChannel(socketChannel(pair.a, 'ndjson'), true);
	host.agent.attach(options.lagging ? lagging.channel : socketChannel(pair.a, 'ndjson'));
	return {pair, host, peer: scriptedPeer(pair.b, options.autoSync ?? true), lag: lagging.hold};
}

/** The host's log lines without their `host: ` prefix. */
function logs(events: Parameters<typeof allLogs>[0]): string[] {
	return allLogs(events).map(line => line.replace(/^host: /u, ''));
}

/** Job lines of one method, e.g. `queued→sending`, in order. */
function moves(events: Parameters<typeof jobs>[0], method: string): string[] {
	return jobs(events).flatMap(line => {
		const match = new RegExp(`^client #\\d+ ${method} (.+)$`, 'u').exec(line);
		return match ? [match[1]!] : [];
	});
}

describe("the peer's capacity is clamped to 1..64 (docs/PROTOCOL.md §4)", () => {
	it('takes whole numbers in range, floors fractions, and maps nonsense to 1', () => {
		const {agent} = makeEnd('host');
		const cases: Array<[number, number]> = [
			[0, 1],
			[-3, 1],
			[Number.NaN, 1],
			[0.5, 1],
			[1, 1],
			[2.9, 2],
			[63, 63],
			[64, 64],
			[65, 64],
			[1000, 64],
			[Number.POSITIVE_INFINITY, 64],
		];
		for (const [given, expected] of cases) {
			agent.setPeerCapacity(given);
			expect([given, agent.peerCapacity]).toEqual([given, expected]);
		}
	});

	it('a capacity of 2 puts exactly two requests on the peer; the third waits for an answer', async () => {
		const {host, peer} = await setup();
		host.agent.setPeerCapacity(2);
		const calls = [1, 2, 3].map(n => host.agent.call('slow', [{n}]));
		await waitFor(() => peer.executed().filter(name => name === 'slow').length === 2, 5000, 'two requests');
		await waitFor(() => moves(host.events, 'slow').filter(move => move === 'sending→waiting').length === 2, 5000, 'both written');
		expect(peer.executed()).toEqual(['sync', 'slow', 'slow']);
		expect(host.agent.clientJobCount).toBe(3);
		peer.line({return: 'one', id: peer.requests[1]!.id});
		await expect(calls[0]).resolves.toBe('one');
		await waitFor(() => peer.executed().length === 4, 5000, 'the third request');
		peer.line({return: 'three', id: peer.requests[3]!.id});
		peer.line({return: 'two', id: peer.requests[2]!.id});
		await expect(Promise.all(calls)).resolves.toEqual(['one', 'two', 'three']);
	});
});

describe("the protocol's resync request (a job of its own)", () => {
	it('nothing else goes out while it awaits its answer, even with room on the peer', async () => {
		const {host, peer} = await setup({autoSync: false});
		host.agent.setPeerCapacity(4);
		const ping = host.agent.call('ping');
		await waitFor(() => peer.executed().length > 0 && moves(host.events, 'sync').includes('sending→waiting'), 5000, 'the sync written');
		expect(peer.executed()).toEqual(['sync']);
		expect(moves(host.events, 'ping')).toEqual(['new→queued']);
		peer.answerSync(peer.requests[0]!);
		await expect(ping).resolves.toBe('pong');
		expect(peer.executed()).toEqual(['sync', 'ping']);
		expect(moves(host.events, 'sync')).toEqual(['new→queued', 'queued→sending', 'sending→waiting', 'waiting→done']);
	});

	it('one that cannot be encoded is logged, and the call waits (then times out) instead of going out unsynced', async () => {
		const inner = new NdjsonProtocol();
		const refusing: WireProtocol = {
			name: inner.name,
			hasServerSide: inner.hasServerSide,
			reader: inner.reader,
			writer: {
				request(key, method, params) {
					if (method === 'sync') {
						throw new Error('no sync today');
					}

					return inner.writer.request(key, method, params);
				},
				response: (key, outcome) => inner.writer.response(key, outcome),
			},
			nextKey: () => inner.nextKey(),
			expectsReply: method => inner.expectsReply(method),
			resyncRequest: () => inner.resyncRequest(),
			abandoned() {
				inner.abandoned();
			},
			reset() {
				inner.reset();
			},
		};
		const {host, peer} = await setup({protocol: () => refusing});
		await expect(host.agent.call('ping', [], {timeoutMs: 150})).rejects.toMatchObject({code: 'ETIMEDOUT', message: 'ping timed out after 150ms'});
		expect(logs(host.events)).toContain('cannot encode the resync request sync: no sync today');
		expect(peer.executed()).toEqual([]);
		expect(moves(host.events, 'ping')).toEqual(['new→queued', 'queued→expired: ETIMEDOUT ping timed out after 150ms']);
	});

	it('after a no-reply request ends in silence it succeeds as such, and the next request is resynced first', async () => {
		const {host, peer} = await setup({noReply: ['shutdown']});
		await expect(host.agent.call('shutdown', [{mode: 'halt'}], {timeoutMs: 150})).resolves.toEqual({noReply: 'silence'});
		expect(moves(host.events, 'shutdown')).toEqual(['new→queued', 'queued→sending', 'sending→waiting', 'waiting→done']);
		expect(transitions(host.events)).toContain('client WAIT→IDLE #1 shutdown');
		await expect(host.agent.call('ping')).resolves.toBe('pong');
		expect(peer.executed()).toEqual(['sync', 'shutdown', 'sync', 'ping']);
		expect(host.agent.clientState).toBe('IDLE');
	});
});

describe('answers the client did not expect', () => {
	it('an answer that beats its write callback completes the job; the late callback changes nothing', async () => {
		const {host, peer, lag} = await setup({lagging: true});
		await expect(host.agent.call('ping')).resolves.toBe('pong');
		const opened = lag();
		await expect(host.agent.call('ping')).resolves.toBe('pong'); // While the write callback is still held.
		expect(moves(host.events, 'ping').slice(4)).toEqual(['new→queued', 'queued→sending', 'sending→waiting', 'waiting→done']);
		expect(host.agent.clientState).toBe('IDLE');
		opened.open();
		await expect(host.agent.call('ping')).resolves.toBe('pong');
		expect(peer.executed()).toEqual(['sync', 'ping', 'ping', 'ping']);
		expect(logs(host.events).filter(line => /illegal|bug/u.test(line))).toEqual([]);
	});

	it('an unreadable answer fails its job with EPROTO and the reason', async () => {
		const {host, peer} = await setup();
		const odd = host.agent.call('odd');
		await waitFor(() => peer.executed().includes('odd'), 5000, 'the request');
		peer.line({id: peer.last('odd').id, neither: true});
		await expect(odd).rejects.toMatchObject({code: 'EPROTO', message: 'unparsable response to odd: neither return nor error'});
		await expect(host.agent.call('ping')).resolves.toBe('pong');
	});

	it('an untagged answer goes to the one request outstanding; with none it is dropped and logged', async () => {
		const {host, peer} = await setup();
		peer.line({return: 'stray'});
		await waitFor(() => logs(host.events).includes('untagged response with no request in flight: dropped'), 5000, 'the warning');
		const plain = host.agent.call('plain');
		await waitFor(() => peer.executed().includes('plain'), 5000, 'the request');
		peer.line({return: 'untagged answer'});
		await expect(plain).resolves.toBe('untagged answer');
		peer.line({return: 1, id: 'zz'});
		await waitFor(() => logs(host.events).includes('response with unknown tag "zz" dropped'), 5000, 'the unknown tag');
	});

	it('an untagged late answer while only a given-up request is held frees its slot, and the held job goes out', async () => {
		const {host, peer} = await setup();
		await expect(host.agent.call('slow', [], {timeoutMs: 100})).rejects.toMatchObject({code: 'ETIMEDOUT'});
		const slowTag = peer.last('slow').id;
		const next = host.agent.call('ping');
		await waitFor(() => moves(host.events, 'ping').includes('queued→held'), 5000, 'the held job');
		peer.line({return: 'late'});
		await expect(next).resolves.toBe('pong');
		expect(logs(host.events)).toContain(`late response for tag ${slowTag} dropped (its job already failed)`);
		expect(moves(host.events, 'ping')).toEqual(['new→queued', 'queued→held', 'held→sending', 'sending→waiting', 'waiting→done']);
	});
});

describe('giving up on held, queued and outstanding jobs', () => {
	it('cancelling a held job takes it out of the queue: it never goes out, and a second cancel is refused', async () => {
		const {host, peer} = await setup();
		await expect(host.agent.call('slow', [], {timeoutMs: 100})).rejects.toMatchObject({code: 'ETIMEDOUT'});
		const slowTag = peer.last('slow').id;
		const held = host.agent.call('held');
		await waitFor(() => moves(host.events, 'held').includes('queued→held'), 5000, 'the held job');
		const heldId = Number(/^client #(\d+) held/u.exec(jobs(host.events).find(line => line.includes(' held new→'))!)![1]);
		expect(host.agent.cancel(9999)).toBe(false); // An unknown id cancels nothing, even with a job queued.
		expect(host.agent.cancel(heldId)).toBe(true);
		await expect(held).rejects.toMatchObject({code: 'ECANCELED', message: 'held cancelled'});
		expect(host.agent.cancel(heldId)).toBe(false);
		expect(host.agent.cancel(9999)).toBe(false);
		expect(host.agent.clientJobCount).toBe(0);
		peer.line({return: 'late', id: slowTag});
		await waitFor(() => logs(host.events).some(line => line.startsWith(`late response for tag ${slowTag}`)), 5000, 'the late answer');
		await expect(host.agent.call('ping')).resolves.toBe('pong');
		expect(peer.executed()).toEqual(['sync', 'slow', 'sync', 'ping']);
	});

	it('a no-reply request cancelled while it waits holds no slot on the peer: the next job goes out at once', async () => {
		const {host, peer} = await setup({noReply: ['shutdown']});
		const shutdown = host.agent.call('shutdown', [{mode: 'halt'}]);
		await waitFor(() => moves(host.events, 'shutdown').includes('sending→waiting'), 5000, 'the request written');
		const shutdownId = Number(/^client #(\d+) shutdown/u.exec(jobs(host.events).find(line => line.includes(' shutdown new→'))!)![1]);
		expect(host.agent.cancel(shutdownId)).toBe(true);
		await expect(shutdown).rejects.toMatchObject({code: 'ECANCELED', message: 'shutdown cancelled'});
		await expect(host.agent.call('ping')).resolves.toBe('pong');
		expect(moves(host.events, 'ping')).toEqual(['new→queued', 'queued→sending', 'sending→waiting', 'waiting→done']);
		expect(peer.executed()).toEqual(['sync', 'shutdown', 'sync', 'ping']);
	});

	it('cancelling a queued job behind a live one: it never goes out; the live one is not held up', async () => {
		const {host, peer} = await setup();
		const first = host.agent.call('slow');
		const second = host.agent.call('second');
		await waitFor(() => peer.executed().includes('slow'), 5000, 'the first request');
		expect(moves(host.events, 'second')).toEqual(['new→queued']); // A live request ahead: queued, not held.
		const secondId = Number(/^client #(\d+) second/u.exec(jobs(host.events).find(line => line.includes(' second new→'))!)![1]);
		expect(host.agent.cancel(secondId)).toBe(true);
		await expect(second).rejects.toMatchObject({code: 'ECANCELED'});
		expect(host.agent.cancel(9999)).toBe(false); // Nor with one outstanding.
		peer.line({return: 'first', id: peer.last('slow').id});
		await expect(first).resolves.toBe('first');
		expect(peer.executed()).toEqual(['sync', 'slow']);
		expect(host.agent.clientState).toBe('IDLE');
	});

	it('a job given up while its write is still in progress settles WAIT→IDLE with the reason once written', async () => {
		const {host, peer, lag} = await setup({lagging: true});
		await expect(host.agent.call('ping')).resolves.toBe('pong');
		const opened = lag();
		const slow = host.agent.call('slow', [], {timeoutMs: 100});
		await expect(slow).rejects.toMatchObject({code: 'ETIMEDOUT'});
		expect(moves(host.events, 'slow')).toEqual(['new→queued', 'queued→sending', 'sending→expired: ETIMEDOUT slow timed out after 100ms']);
		opened.open();
		await waitFor(() => host.agent.clientState === 'IDLE', 5000, 'the settle');
		expect(transitions(host.events).filter(line => line.includes('slow'))).toEqual([
			'client IDLE→SEND #3 slow',
			'client SEND→WAIT #3 slow',
			'client WAIT→IDLE #3 slow (timeout)',
		]);
		expect(peer.executed()).toEqual(['sync', 'ping', 'slow']);
	});

	it('and when cancelled there, the reason is "cancelled"', async () => {
		const {host, lag} = await setup({lagging: true});
		await expect(host.agent.call('ping')).resolves.toBe('pong');
		const opened = lag();
		const slow = host.agent.call('slow');
		await waitFor(() => moves(host.events, 'slow').includes('queued→sending'), 5000, 'the write');
		expect(host.agent.cancel(3)).toBe(true);
		await expect(slow).rejects.toMatchObject({code: 'ECANCELED'});
		opened.open();
		await waitFor(() => host.agent.clientState === 'IDLE', 5000, 'the settle');
		expect(transitions(host.events)).toContain('client WAIT→IDLE #3 slow (cancelled)');
	});
});

describe('the resets keep their bookkeeping', () => {
	it('no late answer within the grace period: logged with its reason, then the channel is reset', async () => {
		const {host, peer} = await setup();
		await expect(host.agent.call('slow', [], {timeoutMs: 100})).rejects.toMatchObject({code: 'ETIMEDOUT'});
		const tag = peer.last('slow').id;
		await waitFor(() => !host.agent.connected, 5000, 'the reset');
		expect(logs(host.events)).toContain(`no late answer to slow (tag ${tag}) within 200ms: resetting the channel`);
		expect(host.events.find(event => event.type === 'log' && event.message.endsWith('resetting the channel'))).toMatchObject({level: 'error'});
	});

	it('a framing error fails the awaited job, and its answer, when it still comes, is recognised as late', async () => {
		const {host, peer} = await setup();
		const slow = host.agent.call('slow');
		await waitFor(() => peer.executed().includes('slow'), 5000, 'the request');
		peer.line('not json');
		await expect(slow).rejects.toMatchObject({code: 'EPROTO'});
		expect(host.agent.connected).toBe(true);
		const tag = peer.last('slow').id;
		peer.line({return: 'late', id: tag});
		await waitFor(() => logs(host.events).includes(`late response for tag ${tag} dropped (its job already failed)`), 5000, 'the late answer');
		expect(logs(host.events).filter(line => line.includes('unknown tag'))).toEqual([]);
	});

	it('a framing error on the same channel keeps the slots of given-up requests: the next job is held until the late answer', async () => {
		const {host, peer} = await setup();
		await expect(host.agent.call('slow', [], {timeoutMs: 1000})).rejects.toMatchObject({code: 'ETIMEDOUT'});
		const tag = peer.last('slow').id;
		peer.line('not json');
		await waitFor(() => logs(host.events).some(line => line.startsWith('framing error')), 5000, 'the framing error');
		const next = host.agent.call('ping');
		await waitFor(() => moves(host.events, 'ping').includes('queued→held'), 5000, 'the held job');
		peer.line({return: 'late', id: tag});
		await expect(next).resolves.toBe('pong');
		expect(host.agent.connected).toBe(true);
	});

	it('a new channel frees the slots of the old one, stops their grace timers, and still knows their tags', async () => {
		const {host, peer} = await setup();
		await expect(host.agent.call('slow', [], {timeoutMs: 100})).rejects.toMatchObject({code: 'ETIMEDOUT'});
		const tag = peer.last('slow').id;
		host.agent.detach('test');
		const pair = await socketPair();
		onCleanup(() => {
			pair.close();
		});
		host.agent.attach(socketChannel(pair.a, 'second'));
		const second = scriptedPeer(pair.b);
		await expect(host.agent.call('ping')).resolves.toBe('pong'); // Not held: the new peer holds nothing of ours.
		expect(moves(host.events, 'ping')).not.toContain('queued→held');
		second.line({return: 'late', id: tag});
		await waitFor(() => logs(host.events).includes(`late response for tag ${tag} dropped (its job already failed)`), 5000, 'the late answer');
		await new Promise(resolve => setTimeout(resolve, 300)); // Past the old slot's grace period (200 ms).
		expect(host.agent.connected).toBe(true);
		expect(logs(host.events).filter(line => line.includes('resetting the channel'))).toEqual([]);
	});

	it('the wire tap labels each request with its direction, kind and tag', async () => {
		const {host, peer} = await setup();
		host.agent.wireTap = true;
		await expect(host.agent.call('ping', [{n: 7}])).resolves.toBe('pong');
		const wire = host.events.filter((event): event is WireEvent => event.type === 'wire');
		const out = wire.filter(event => event.direction === 'out');
		expect(out.map(event => [event.kind, event.tag, event.body.toString('utf8')])).toEqual(
			peer.requests.map(request => ['request', request.id, JSON.stringify(request)]),
		);
	});
});

/** The ndjson protocol with `abandoned` replaced (it runs inside a job's deadline). */
function abandonedBy(inner: NdjsonProtocol, abandoned: () => void): WireProtocol {
	return {
		name: inner.name,
		hasServerSide: inner.hasServerSide,
		reader: inner.reader,
		writer: inner.writer,
		nextKey: () => inner.nextKey(),
		expectsReply: method => inner.expectsReply(method),
		resyncRequest: () => inner.resyncRequest(),
		abandoned,
		reset() {
			inner.reset();
		},
	};
}

describe('the second round of survivors (docs/mutation.md, client half)', () => {
	it('a call before any channel is refused with ENOTCONN and its message', async () => {
		const {agent} = makeEnd('host');
		await expect(agent.call('ping')).rejects.toMatchObject({code: 'ENOTCONN', message: 'not connected to the peer agent'});
	});

	it('with room on the peer, a second request still waits until the first is written', async () => {
		const {host, peer, lag} = await setup({lagging: true});
		host.agent.setPeerCapacity(2);
		await expect(host.agent.call('ping')).resolves.toBe('pong');
		const opened = lag();
		const first = host.agent.call('first');
		const second = host.agent.call('second');
		await waitFor(() => peer.executed().includes('first'), 5000, 'the first request');
		await new Promise(resolve => setTimeout(resolve, 50));
		expect(moves(host.events, 'second')).toEqual(['new→queued']);
		opened.open();
		await waitFor(() => peer.executed().includes('second'), 5000, 'the second request');
		peer.line({return: 1, id: peer.last('first').id});
		peer.line({return: 2, id: peer.last('second').id});
		await expect(Promise.all([first, second])).resolves.toEqual([1, 2]);
		expect(logs(host.events).filter(line => /illegal|bug/u.test(line))).toEqual([]);
	});

	it('an untagged answer with two given-up requests held is dropped: neither slot is freed', async () => {
		const {host, peer} = await setup();
		host.agent.setPeerCapacity(3);
		const calls = [host.agent.call('slow', [], {timeoutMs: 300}), host.agent.call('slow', [], {timeoutMs: 300})];
		await expect(Promise.allSettled(calls)).resolves.toMatchObject([{status: 'rejected'}, {status: 'rejected'}]);
		peer.line({return: 'whose?'});
		await waitFor(() => logs(host.events).includes('untagged response with no request in flight: dropped'), 5000, 'the warning');
		expect(logs(host.events).filter(line => line.startsWith('late response'))).toEqual([]);
	});

	it('an untagged answer with two requests outstanding does not free the one given-up slot', async () => {
		const {host, peer} = await setup();
		host.agent.setPeerCapacity(3);
		await expect(host.agent.call('slow', [], {timeoutMs: 300})).rejects.toMatchObject({code: 'ETIMEDOUT'});
		const live = [host.agent.call('a'), host.agent.call('b')];
		await waitFor(() => peer.executed().includes('b'), 5000, 'both live requests');
		peer.line({return: 'whose?'});
		await waitFor(() => logs(host.events).includes('untagged response with no request in flight: dropped'), 5000, 'the warning');
		expect(logs(host.events).filter(line => line.startsWith('late response'))).toEqual([]);
		peer.line({return: 'A', id: peer.last('a').id});
		peer.line({return: 'B', id: peer.last('b').id});
		await expect(Promise.all(live)).resolves.toEqual(['A', 'B']);
	});

	it('a resync request that times out stops blocking: after its late answer the queued call goes out', async () => {
		const {host, peer} = await setup({autoSync: false, callTimeoutMs: 200});
		const ping = host.agent.call('ping', [], {timeoutMs: 5000});
		await waitFor(() => moves(host.events, 'sync').some(move => move.startsWith('waiting→expired')), 5000, 'the sync given up');
		peer.answerSync(peer.requests[0]!); // Late, but it resyncs the stream all the same.
		await waitFor(() => peer.executed().length === 2, 2000, 'the next request');
		await expect(ping).resolves.toBe('pong');
		expect(peer.executed()).toEqual(['sync', 'ping']);
	});

	it('an exception at a deadline is reported as a bug with its message, and the engine resets', async () => {
		const inner = new NdjsonProtocol();
		const thrown: unknown[] = [new Error('boom'), 'plain'];
		const {host} = await setup({
			protocol: () =>
				abandonedBy(inner, () => {
					throw thrown.shift();
				}),
		});
		await expect(host.agent.call('slow', [], {timeoutMs: 100})).rejects.toMatchObject({code: 'EPROTO'});
		expect(logs(host.events)).toContain("bug: exception at slow's deadline: boom; resetting the engine");
		await expect(host.agent.call('slow', [], {timeoutMs: 100})).rejects.toMatchObject({code: 'EPROTO'});
		expect(logs(host.events)).toContain("bug: exception at slow's deadline: plain; resetting the engine");
	});

	it('a channel dropped while idle, after finished jobs, is no bug: nothing is left to fail', async () => {
		const {host} = await setup();
		await expect(host.agent.call('ping')).resolves.toBe('pong');
		host.agent.detach('test');
		expect(host.agent.clientState).toBe('IDLE');
		expect(logs(host.events).filter(line => /illegal|bug/u.test(line))).toEqual([]);
	});
});
