import {afterEach, describe, expect, it, vi} from 'vitest';
import {EventBus} from '../../src/engine/bus.js';
import type {EngineEvent} from '../../src/engine/events.js';
import {Link} from '../../src/engine/link.js';
import {encodeCall, encodeResponse} from '../../src/protocol/codec.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import type {Channel} from '../../src/transport/channel.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import {XmlRpcProtocol} from '../../src/wire/xmlrpc/index.js';
import {gate, type Gate} from '../helpers/gate.js';
import {socketPair, waitFor} from '../helpers/socket-pair.js';
import {connectedPair, countingChannel, jobs, logs, makeEnd, onCleanup, runCleanups, rawFarEnd} from './helpers.js';

/*
 * The link (src/engine/link.ts) at its edges, over real sockets (issue #10, docs/mutation.md
 * round 3): stall timeouts of started frames, the channel's lifecycle (replaced, closed before it
 * started, ended mid-message), the stuck-send watchdog tick by tick, and reading paused by the
 * server's back-pressure on a channel that cannot pause. The far end is a raw socket the test
 * writes frames to by hand.
 */

afterEach(() => {
	vi.useRealTimers();
	runCleanups();
});

function channelEvents(events: readonly EngineEvent[]): string[] {
	return events.flatMap(event => (event.type === 'channel' ? [`${event.label} ${event.status}${event.reason ? ` (${event.reason})` : ''}`] : []));
}

async function guestWithRawHost(options: Parameters<typeof makeEnd>[1] = {}) {
	const pair = await socketPair();
	onCleanup(() => {
		pair.close();
	});
	const guest = makeEnd('guest', options);
	return {pair, guest, host: rawFarEnd(pair.a)};
}

describe('a started frame must keep moving (docs/PROTOCOL.md §2)', () => {
	it('a header that stops half-way is dropped at the header stall time; the next request is answered, not swallowed', async () => {
		const {pair, guest, host} = await guestWithRawHost({limits: {headerStallMs: 150}});
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));
		const header = '\u00FFPOST /RPC2 HTTP/1.1\r\nContent-Len';
		pair.a.write(Buffer.from(header, 'latin1'));
		await waitFor(() => logs(guest.events).some(line => line.includes('framing error')), 10_000, 'the stall');
		expect(logs(guest.events)).toEqual([
			`guest: framing error: STALLED_FRAME: header not complete 150 ms after its first byte (${header.length - 1} bytes received)`,
		]);
		host.request('after');
		await expect(host.answer('after')).resolves.toBe('after');
		expect(guest.agent.connected).toBe(true);
	});

	it('a body that moved is given a new deadline: the stall is reported with every byte that came', async () => {
		const {pair, guest, host} = await guestWithRawHost({limits: {bodyStallMs: 400}});
		const counted = countingChannel(socketChannel(pair.b, 'guest-end'));
		guest.agent.attach(counted.channel);
		const frame = encodeFrame('request', 'cut', encodeCall('va.ping', ['a body that never ends']));
		const headerEnd = frame.indexOf('\r\n\r\n') + 4;
		pair.a.write(frame.subarray(0, headerEnd + 10));
		await waitFor(() => counted.delivered() === headerEnd + 10, 5000, 'the first part');
		// The clock must move on before the second part, so that its deadline is a later one.
		const first = Date.now();
		await waitFor(() => Date.now() > first + 1, 1000, 'a clock tick');
		pair.a.write(frame.subarray(headerEnd + 10, headerEnd + 20));
		await waitFor(() => logs(guest.events).length > 0, 10_000, 'the stall');
		const bodyLength = frame.length - headerEnd;
		expect(logs(guest.events)).toEqual([`guest: framing error: STALLED_FRAME: no body bytes for 400 ms (20 of ${bodyLength} received)`]);
		host.request('next');
		await expect(host.answer('next')).resolves.toBe('next');
	});

	it('a stalled frame fails the requests waiting on it at once (EPROTO), on the client side too', async () => {
		const {pair, host, guest} = await connectedPair({limits: {bodyStallMs: 150}});
		host.agent.attach(socketChannel(pair.a, 'host-end'));
		guest.registry.register('va.cut', 'answers with a frame cut short', () => 'unused');
		// The guest end is the test: it answers with a response whose body never completes.
		const decoder = new FrameDecoder();
		pair.b.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type === 'frame') {
					const response = encodeFrame('response', event.frame.tag, Buffer.from('<?xml version="1.0"?><methodResponse>'));
					pair.b.write(Buffer.concat([response.subarray(0, response.length - 5)]));
				}
			}
		});
		await expect(host.agent.call('va.cut', [], {timeoutMs: 10_000})).rejects.toMatchObject({
			code: 'EPROTO',
			message: expect.stringMatching(/^framing error: STALLED_FRAME: no body bytes for 150 ms \(\d+ of \d+ received\)$/u) as unknown,
		});
		expect(host.agent.connected).toBe(true);
	});
});

describe("the channel's lifecycle", () => {
	it('a new channel replaces the old one: the old is reported down once, and what it still says or does is ignored', async () => {
		const {pair: oldPair, guest} = await guestWithRawHost();
		const newPair = await socketPair();
		onCleanup(() => {
			newPair.close();
		});
		const old = countingChannel(socketChannel(oldPair.b, 'old'));
		guest.agent.attach(old.channel);
		const oldHost = rawFarEnd(oldPair.a);
		oldHost.request('o1');
		await expect(oldHost.answer('o1')).resolves.toBe('o1');
		guest.agent.attach(socketChannel(newPair.b, 'new'));
		expect(channelEvents(guest.events)).toEqual(['old up', 'old down (replaced by a new channel)', 'new up']);
		// The old socket is still open: a request on it reaches its channel but not the engine.
		const before = jobs(guest.events).length;
		const deliveredBefore = old.delivered();
		oldHost.request('o2');
		await waitFor(() => old.delivered() > deliveredBefore, 5000, 'o2 read');
		const newHost = rawFarEnd(newPair.a);
		newHost.request('n1');
		await expect(newHost.answer('n1')).resolves.toBe('n1');
		expect(jobs(guest.events).slice(before)).toEqual([
			'server #2 va.ping new→running',
			'server #2 va.ping running→ready',
			'server #2 va.ping ready→sending',
			'server #2 va.ping sending→done',
		]);
		// The old socket closing does not touch the new channel.
		oldPair.a.destroy();
		await waitFor(() => oldPair.b.destroyed, 5000, 'the old socket closed');
		newHost.request('n2');
		await expect(newHost.answer('n2')).resolves.toBe('n2');
		expect(channelEvents(guest.events)).toEqual(['old up', 'old down (replaced by a new channel)', 'new up']);
		expect(oldHost.answers.has('o2')).toBe(false);
	});

	it('a channel that is already closed when it starts is reported down, never up', async () => {
		const {pair, guest} = await guestWithRawHost();
		const closed = socketChannel(pair.b, 'dead');
		const closedEvent = new Promise(resolve => pair.b.once('close', resolve));
		pair.b.destroy();
		await closedEvent;
		guest.agent.attach(closed);
		expect(channelEvents(guest.events)).toEqual(['dead down (stream closed)']);
		expect(guest.agent.connected).toBe(false);
	});

	it('a stream that ends in the middle of a frame is logged with what was cut off, then the channel is down', async () => {
		const {pair, guest} = await guestWithRawHost();
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));
		const frame = encodeFrame('request', 'cut', encodeCall('va.ping', ['x']));
		const headerEnd = frame.indexOf('\r\n\r\n') + 4;
		pair.a.end(frame.subarray(0, headerEnd + 7));
		await waitFor(() => !guest.agent.connected, 5000, 'the channel down');
		expect(logs(guest.events)).toEqual([`guest: stream ended mid-message: TRUNCATED_BODY: stream ended after 7 of ${frame.length - headerEnd} body bytes`]);
		expect(channelEvents(guest.events)).toEqual(['guest-end up', 'guest-end down (stream closed)']);
	});

	it('detach closes the channel with its reason; a closed agent says "agent closed"', async () => {
		const {pair, guest} = await guestWithRawHost();
		guest.agent.attach(socketChannel(pair.b, 'first'));
		guest.agent.detach('operator said so');
		expect(channelEvents(guest.events)).toEqual(['first up', 'first down (operator said so)']);
		await waitFor(() => pair.b.destroyed, 5000, 'the socket destroyed');
		const second = await socketPair();
		onCleanup(() => {
			second.close();
		});
		guest.agent.attach(socketChannel(second.b, 'second'));
		guest.agent.detach();
		guest.agent.attach(socketChannel(second.a, 'third'));
		guest.agent.close();
		expect(channelEvents(guest.events).slice(2)).toEqual(['second up', 'second down (detached)', 'third up', 'third down (agent closed)']);
	});
});

/** A channel over a real socket whose writes wait for the test, and whose pending bytes the test sets. */
function jammedChannel(inner: Channel) {
	let release: Gate | undefined;
	let pending: number | undefined;
	const channel: Channel = {
		label: inner.label,
		start(handlers) {
			inner.start(handlers);
		},
		async write(data) {
			release = gate();
			await release.promise;
			return inner.write(data);
		},
		destroy() {
			inner.destroy();
		},
		pendingWriteBytes: () => pending!,
	};
	return {
		channel,
		/** What pendingWriteBytes says (undefined: the channel cannot tell). */
		setPending(bytes: number | undefined) {
			pending = bytes;
		},
		release: () => release?.open(),
	};
}

describe('the stuck-send watchdog, tick by tick (docs/PROTOCOL.md §4: a stuck send closes the channel)', () => {
	async function jammedHost(withPending: boolean) {
		vi.useFakeTimers({toFake: ['setInterval', 'clearInterval']});
		const {pair, host} = await connectedPair({sendStallMs: 400});
		const jammed = jammedChannel(socketChannel(pair.a, 'host-end'));
		const channel = withPending ? jammed.channel : {...jammed.channel, pendingWriteBytes: undefined};
		host.agent.attach(channel);
		const call = host.agent.call('va.ping', ['stuck'], {timeoutMs: 60_000});
		call.catch(() => undefined);
		expect(host.agent.clientState).toBe('SEND');
		return {host, jammed, call, pair};
	}

	const tick = () => vi.advanceTimersByTime(100);

	it('a write that neither ends nor moves is stuck on the fifth look (1.25 stall periods): ECONNRESET, socket destroyed', async () => {
		const {host, jammed, call, pair} = await jammedHost(true);
		jammed.setPending(5000);
		for (let n = 0; n < 4; n++) {
			tick();
		}

		expect(host.agent.connected).toBe(true);
		tick();
		expect(host.agent.connected).toBe(false);
		expect(logs(host.events)).toEqual(['host: send made no progress for 400ms: the peer stopped reading; closing the channel']);
		expect(channelEvents(host.events)).toEqual(['host-end up', 'host-end down (stuck: send made no progress for 400ms)']);
		await expect(call).rejects.toMatchObject({code: 'ECONNRESET', message: 'channel lost: stuck: send made no progress for 400ms'});
		expect(pair.a.destroyed).toBe(true);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('a write whose pending bytes keep shrinking is never stuck, however long it takes', async () => {
		const {host, jammed, call} = await jammedHost(true);
		let pending = 100_000;
		for (let n = 0; n < 40; n++) {
			jammed.setPending((pending -= 1000));
			tick();
		}

		expect(host.agent.connected).toBe(true);
		// Then it stops moving: stuck four looks later.
		for (let n = 0; n < 3; n++) {
			tick();
		}

		expect(host.agent.connected).toBe(true);
		tick();
		expect(host.agent.connected).toBe(false);
		await expect(call).rejects.toMatchObject({code: 'ECONNRESET'});
	});

	it('pending bytes that grow are no progress', async () => {
		const {host, jammed} = await jammedHost(true);
		let pending = 1000;
		for (let n = 0; n < 4; n++) {
			jammed.setPending((pending += 1000));
			tick();
		}

		expect(host.agent.connected).toBe(true);
		jammed.setPending((pending += 1000));
		tick();
		expect(host.agent.connected).toBe(false);
	});

	it('without pending-byte counts, a write is stuck when it does not finish within the stall time', async () => {
		const {host, jammed} = await jammedHost(false);
		jammed.setPending(0);
		for (let n = 0; n < 4; n++) {
			tick();
		}

		expect(host.agent.connected).toBe(true);
		tick();
		expect(host.agent.connected).toBe(false);
	});

	it('a write that finishes stops the watch; the next write is watched afresh', async () => {
		const {host, jammed, call, pair} = await jammedHost(true);
		rawFarEnd(pair.b); // Nothing to answer: the guest end is the test.
		jammed.setPending(10);
		for (let n = 0; n < 4; n++) {
			tick();
		}

		jammed.release();
		await waitFor(() => host.agent.clientState === 'WAIT', 5000, 'the request written');
		expect(vi.getTimerCount()).toBe(1);
		tick(); // Nothing being written: the watch ends.
		expect(vi.getTimerCount()).toBe(0);
		expect(host.agent.connected).toBe(true);
		host.agent.cancel(1);
		await expect(call).rejects.toMatchObject({code: 'ECANCELED'});
	});
});

describe('one watch per channel', () => {
	it('a second slow write while the watch still runs reuses it; once idle no watch is left', async () => {
		vi.useFakeTimers({toFake: ['setInterval', 'clearInterval']});
		const {pair, host} = await connectedPair({sendStallMs: 400});
		const jammed = jammedChannel(socketChannel(pair.a, 'host-end'));
		host.agent.attach(jammed.channel);
		// The far end answers every request at once.
		const decoder = new FrameDecoder();
		pair.b.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type === 'frame') {
					pair.b.write(encodeFrame('response', event.frame.tag, encodeResponse('answered')));
				}
			}
		});
		jammed.setPending(10);
		for (const n of [1, 2]) {
			const call = host.agent.call('va.ping', [`slow ${n}`], {timeoutMs: 60_000});
			expect(vi.getTimerCount()).toBe(1);
			jammed.release();
			await expect(call).resolves.toBe('answered');
		}

		vi.advanceTimersByTime(100);
		expect(vi.getTimerCount()).toBe(0);
		vi.advanceTimersByTime(1000);
		expect(vi.getTimerCount()).toBe(0);
		expect(host.agent.connected).toBe(true);
	});
});

describe('what the link reads', () => {
	it('garbage before a frame is logged with its size (one byte, several); garbage at the end of the stream is not an error', async () => {
		const {pair, guest, host} = await guestWithRawHost();
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));
		pair.a.write(Buffer.concat([Buffer.from('z'), encodeFrame('request', 'g1', encodeCall('va.ping', ['g1']))]));
		await expect(host.answer('g1')).resolves.toBe('g1');
		pair.a.write(Buffer.concat([Buffer.from('xyz'), encodeFrame('request', 'g2', encodeCall('va.ping', ['g2']))]));
		await expect(host.answer('g2')).resolves.toBe('g2');
		pair.a.end('PO');
		await waitFor(() => !guest.agent.connected, 5000, 'the end');
		expect(logs(guest.events)).toEqual(['guest: skipped 1 byte of garbage before a frame', 'guest: skipped 3 bytes of garbage before a frame']);
	});

	it('a channel that fails with an error is down with that error as its reason', async () => {
		const {pair, guest} = await guestWithRawHost();
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));
		pair.b.destroy(new Error('the device went away'));
		await waitFor(() => !guest.agent.connected, 5000, 'the failure');
		expect(channelEvents(guest.events)).toEqual(['guest-end up', 'guest-end down (the device went away)']);
	});

	it('a listener that drops the channel on one request: the rest of that chunk is not handed on', async () => {
		const {pair, guest} = await guestWithRawHost();
		guest.agent.subscribe(event => {
			if (event.type === 'job' && event.from === null && event.jobId === 1) {
				guest.agent.detach('dropped by a listener');
			}
		});
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));
		pair.a.write(Buffer.concat(['d1', 'd2', 'd3'].map(tag => encodeFrame('request', tag, encodeCall('va.ping', [tag])))));
		await waitFor(() => !guest.agent.connected, 5000, 'the detach');
		expect(jobs(guest.events)).toEqual([
			'server #1 va.ping new→running',
			'server #1 va.ping running→failed: ECONNRESET dropped: channel lost: dropped by a listener',
		]);
	});
});

describe('log levels of what the link reports', () => {
	function leveled(events: readonly EngineEvent[]): string[] {
		return events.flatMap(event => (event.type === 'log' ? [`${event.level} ${event.message.replace(/: .*$/u, '')}`] : []));
	}

	it('garbage is a warning, a framing error an error, a stream cut mid-frame a warning', async () => {
		const {pair, guest, host} = await guestWithRawHost();
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));
		pair.a.write(Buffer.concat([Buffer.from('z'), encodeFrame('request', 'g1', encodeCall('va.ping', ['g1']))]));
		await expect(host.answer('g1')).resolves.toBe('g1');
		pair.a.write(Buffer.from('\u00FFPOST /RPC2 HTTP/1.1\r\nContent-Length: x\r\n\r\n', 'latin1'));
		pair.a.end(Buffer.from('\u00FFPOST /RPC2 HTTP/1.1\r\n', 'latin1'));
		await waitFor(() => !guest.agent.connected, 5000, 'the end');
		expect(leveled(guest.events)).toEqual(['warn guest', 'error guest', 'warn guest']);
		expect(logs(guest.events).map(line => line.slice(0, 30))).toEqual([
			'guest: skipped 1 byte of garba',
			'guest: framing error: BAD_CONT',
			'guest: stream ended mid-messag',
		]);
	});

	it('a stuck send and an input overrun are errors', async () => {
		vi.useFakeTimers({toFake: ['setInterval', 'clearInterval']});
		const {pair, host} = await connectedPair({sendStallMs: 400});
		const jammed = jammedChannel(socketChannel(pair.a, 'host-end'));
		host.agent.attach(jammed.channel);
		host.agent.call('va.ping', [], {timeoutMs: 60_000}).catch(() => undefined);
		jammed.setPending(1);
		for (let n = 0; n < 5; n++) {
			vi.advanceTimersByTime(100);
		}

		expect(host.events.flatMap(event => (event.type === 'log' ? [event.level] : []))).toEqual(['error']);
	});
});

describe('the link alone (as the agent drives it)', () => {
	async function bareLink(reader?: (chunk: Buffer) => never) {
		const pair = await socketPair();
		onCleanup(() => {
			pair.close();
		});
		const bus = new EventBus('bare');
		const protocol = new XmlRpcProtocol({bodyMax: 1 << 20});
		if (reader) {
			protocol.reader.push = reader;
		}

		const seen: string[] = [];
		const link = new Link(
			protocol,
			bus,
			{
				message: () => seen.push('message'),
				protocolError: (code, message) => seen.push(`protocolError ${code}: ${message}`),
				lost: reason => seen.push(`lost: ${reason}`),
				writable: () => seen.push('writable'),
			},
			{sendStallMs: 5000, pausedInputMax: 1 << 20},
		);
		return {pair, link, seen};
	}

	it('refuses a send while detached or while another is on the wire: a bug, said as such', async () => {
		const {pair, link} = await bareLink();
		expect(() => {
			link.send(Buffer.from('x'), () => undefined);
		}).toThrow('bug: send while detached');
		link.attach({...socketChannel(pair.a, 'bare'), writeEager: undefined});
		link.send(Buffer.from('x'), () => undefined);
		expect(link.busy).toBe(true);
		expect(() => {
			link.send(Buffer.from('y'), () => undefined);
		}).toThrow('bug: send while busy');
		link.detach('over');
	});

	it('a reader that throws is reported as READER_FAILED with its message', async () => {
		const {pair, link, seen} = await bareLink(() => {
			throw new Error('reader on fire');
		});
		link.attach(socketChannel(pair.a, 'bare'));
		pair.b.write('anything');
		await waitFor(() => seen.some(line => line.startsWith('protocolError')), 5000, 'the reader failure');
		expect(seen).toContain('protocolError READER_FAILED: the xmlrpc reader failed: reader on fire');
		link.detach('over');
	});

	it('a write that fails loses the channel with the failure as the reason', async () => {
		const {pair, link, seen} = await bareLink();
		const inner = socketChannel(pair.a, 'bare');
		link.attach({...inner, writeEager: undefined, write: async () => Promise.reject(new Error('EIO on write'))});
		link.send(Buffer.from('x'), () => seen.push('written'));
		await waitFor(() => !link.connected, 5000, 'the loss');
		expect(seen).toEqual(['lost: EIO on write', 'writable']);
	});
});
