import {afterEach, describe, expect, it} from 'vitest';
import type {EngineEvent} from '../../src/engine/events.js';
import {PeerSlots} from '../../src/engine/peer-slots.js';
import {isFinished} from '../../src/engine/states.js';
import {decodeResponse, encodeCall} from '../../src/protocol/codec.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import type {WireProtocolFactory} from '../../src/wire/types.js';
import {XmlRpcProtocol} from '../../src/wire/xmlrpc/index.js';
import {gate} from '../helpers/gate.js';
import {waitFor} from '../helpers/socket-pair.js';
import {attachBoth, connectedPair, jobs, logs, makeEnd, runCleanups, slowMethod, transitions, boomProtocol} from './helpers.js';

afterEach(runCleanups);

/** The most server jobs alive at once on that end, from its job events. */
function peakServerJobs(events: readonly EngineEvent[]): number {
	let alive = 0;
	let peak = 0;
	for (const event of events) {
		if (event.type === 'job' && event.side === 'server') {
			alive += event.from === null ? 1 : isFinished(event.to) ? -1 : 0;
			peak = Math.max(peak, alive);
		}
	}

	return peak;
}

describe('back-pressure (docs/PROTOCOL.md §4)', () => {
	it('10,000 requests in one write: every one is answered (a result or the -500 refusal), with at most 64 refusals held', async () => {
		const {pair, guest} = await connectedPair();
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));
		const total = 10_000;
		const answers = new Map<string, string>();
		const decoder = new FrameDecoder();
		pair.a.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type === 'frame') {
					const response = decodeResponse(event.frame.body);
					const tag = event.frame.tag!;
					answers.set(tag, answers.has(tag) ? 'DUPLICATE' : response.ok ? String(response.value) : response.fault.message);
				}
			}
		});
		const body = encodeCall('va.ping', ['flood']);
		pair.a.write(Buffer.concat(Array.from({length: total}, (_, n) => encodeFrame('request', `f${n}`, body))));

		await waitFor(() => answers.size === total, 60_000, `${total} answers (got ${answers.size})`);
		const outcomes = [...answers.values()];
		expect(outcomes.filter(outcome => outcome !== 'flood' && outcome !== 'server job queue limit exceeded')).toEqual([]);
		expect(outcomes.filter(outcome => outcome === 'flood').length).toBeGreaterThan(0);
		expect(outcomes.filter(outcome => outcome === 'server job queue limit exceeded').length).toBeGreaterThan(0);
		// Reading paused while refusals piled up: the answering job, 64 refusals, one being read.
		expect(peakServerJobs(guest.events)).toBeLessThanOrEqual(66);
		expect(guest.agent.serverJobCount).toBe(0);
		expect(guest.agent.connected).toBe(true);
	}, 90_000);
});

describe('a stuck send (docs/PROTOCOL.md §4, issue #10 item 5)', () => {
	it('a response the peer never reads closes the channel after the stall time, and nothing stays queued', async () => {
		const {pair, guest} = await connectedPair({}, {sendStallMs: 200});
		guest.registry.register('va.big', 'a big answer', () => 'x'.repeat(1_900_000));
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));
		pair.a.pause(); // The host never reads.
		pair.a.write(encodeFrame('request', 'big1', encodeCall('va.big', [])));
		await waitFor(() => !guest.agent.connected, 5000, 'the channel declared stuck');
		expect(guest.events.find(event => event.type === 'channel' && event.status === 'down')).toMatchObject({reason: 'stuck: send made no progress for 200ms'});
		expect(jobs(guest.events)).toContain('server #1 va.big sending→failed: ECONNRESET dropped: channel lost: stuck: send made no progress for 200ms');
		// Closing the channel destroyed the socket and with it the bytes still queued for it.
		expect(pair.b.destroyed).toBe(true);
		await waitFor(() => pair.b.writableLength === 0, 2000, 'the queued bytes freed');
	});

	it('a request the peer never reads fails its job with ECONNRESET', async () => {
		const {pair, host} = await connectedPair({sendStallMs: 200});
		host.agent.attach(socketChannel(pair.a, 'host-end'));
		pair.b.pause();
		await expect(host.agent.call('va.ping', ['y'.repeat(1_900_000)], {timeoutMs: 5000})).rejects.toMatchObject({code: 'ECONNRESET'});
		expect(logs(host.events)).toContain('host: send made no progress for 200ms: the peer stopped reading; closing the channel');
		expect(pair.a.destroyed).toBe(true);
	});
});

describe("the peer's capacity (docs/PROTOCOL.md §4, issue #11 item 4)", () => {
	it('after a timeout the next job is held (never refused) until the late answer frees the slot', async () => {
		const {pair, host, guest} = await connectedPair();
		const release = slowMethod(guest, () => 'late');
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.slow', [], {timeoutMs: 100})).rejects.toMatchObject({code: 'ETIMEDOUT'});
		const next = host.agent.call('va.ping', ['next']);
		await waitFor(() => jobs(host.events).includes('client #2 va.ping queued→held'), 5000, 'the held job');
		expect(guest.agent.serverJobCount).toBe(1); // The guest still works on the abandoned request.
		release.open();
		await expect(next).resolves.toBe('next');
		expect(jobs(host.events)).toContain('client #2 va.ping held→sending');
		expect(logs(host.events).some(line => line.includes('late response for tag'))).toBe(true);
		expect(logs(guest.events).filter(line => line.includes('refused'))).toEqual([]);
	});

	it('after a cancel too; and with a capacity of 2 the next job goes out at once', async () => {
		const {pair, host, guest} = await connectedPair({}, {serverQueueMax: 2});
		const release = slowMethod(guest, () => 'late');
		attachBoth(pair, host, guest);
		const first = host.agent.call('va.slow');
		await waitFor(() => host.agent.clientState === 'WAIT');
		expect(host.agent.cancel(1)).toBe(true);
		await expect(first).rejects.toMatchObject({code: 'ECANCELED'});
		const held = host.agent.call('va.ping', ['held']);
		await waitFor(() => jobs(host.events).includes('client #2 va.ping queued→held'), 5000, 'the held job');
		host.agent.setPeerCapacity(2); // What va.capabilities limits.serverQueue would say.
		await expect(held).resolves.toBe('held');
		release.open();
		await waitFor(() => logs(host.events).some(line => line.includes('late response for tag')), 5000, 'the late answer');
	});

	it('no late answer within twice the timeout: the channel is reset and the held job fails with ECONNRESET', async () => {
		const {pair, host, guest} = await connectedPair();
		guest.registry.register('va.never', 'never answers', async () => new Promise(() => {}));
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.never', [], {timeoutMs: 100})).rejects.toMatchObject({code: 'ETIMEDOUT'});
		const held = host.agent.call('va.ping', [], {timeoutMs: 5000});
		await expect(held).rejects.toMatchObject({code: 'ECONNRESET'});
		const down = host.events.find(event => event.type === 'channel' && event.status === 'down');
		expect(down).toMatchObject({reason: expect.stringMatching(/^no late answer to va\.never \(tag \S+\) within 200ms$/u) as unknown});
		expect(jobs(host.events)).toContain('client #2 va.ping queued→held');
	});
});

describe('answers and side effects (docs/PROTOCOL.md §4, issue #10 items 4 and 11)', () => {
	it('the result-size guard: a result over the body limit is answered with fault -500, and its after-reply action gets false', async () => {
		const {pair, host, guest} = await connectedPair({}, {limits: {bodyMax: 4096}});
		const settled: Array<[string, boolean]> = [];
		for (const [name, size] of [
			['va.big', 10_000],
			['va.small', 10],
		] as const) {
			guest.registry.register(name, 'answers with its size', (_params, context) => {
				context.afterReply(sent => settled.push([name, sent]));
				return 'x'.repeat(size);
			});
		}

		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.big')).rejects.toMatchObject({
			name: 'RPCFailed',
			code: -500,
			faultString: expect.stringMatching(/^result too large: 10\d{3} bytes \(limit 4096\)$/u) as unknown,
		});
		await expect(host.agent.call('va.small')).resolves.toBe('xxxxxxxxxx');
		await waitFor(() => settled.length === 2);
		expect(settled).toEqual([
			['va.big', false],
			['va.small', true],
		]);
	});

	it('a success action runs only once its answer is written, and not at all when the channel drops first', async () => {
		const {pair, host, guest} = await connectedPair();
		const order: string[] = [];
		guest.agent.subscribe(event => {
			if (event.type === 'job' && event.side === 'server' && event.method === 'va.act') {
				order.push(`${event.from ?? 'new'}→${event.to}`);
			}
		});
		guest.registry.register('va.act', 'acts after its reply', (_params, context) => {
			context.afterReply(sent => order.push(`action(${sent})`));
			return 'ok';
		});
		const answer = gate();
		guest.registry.register('va.unsent', 'its channel drops before it answers', async (_params, context) => {
			context.afterReply(sent => order.push(`unsent action(${sent})`));
			await answer.promise;
			return 'never delivered';
		});
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.act')).resolves.toBe('ok');
		await waitFor(() => order.includes('action(true)'));
		expect(order).toEqual(['new→running', 'running→ready', 'ready→sending', 'sending→done', 'action(true)']);

		const unsent = host.agent.call('va.unsent');
		await waitFor(() => guest.agent.serverJobCount === 1);
		pair.a.destroy();
		await expect(unsent).rejects.toMatchObject({code: 'ECONNRESET'});
		await waitFor(() => order.includes('unsent action(false)'));
		answer.open();
	});

	it('a second answer never overrides the first: a handler that answers after its deadline is ignored', async () => {
		const {pair, host, guest} = await connectedPair({}, {handlerTimeoutMs: 100});
		const late = gate();
		const sent: boolean[] = [];
		guest.registry.register('va.late', 'answers too late', async (_params, context) => {
			context.afterReply(ok => sent.push(ok));
			await late.promise;
			return 'too late';
		});
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.late')).rejects.toMatchObject({code: -500, faultString: 'va.late did not answer within 100ms'});
		late.open();
		await expect(host.agent.call('va.ping', ['after'])).resolves.toBe('after');
		expect(sent).toEqual([false]);
		expect(jobs(guest.events).filter(line => line.startsWith('server #1 '))).toEqual([
			'server #1 va.late new→running',
			'server #1 va.late running→ready',
			'server #1 va.late ready→sending',
			'server #1 va.late sending→done',
		]);
	});
});

describe('bugs never leave the engine', () => {
	it('a listener that throws is caught and reported; the engine goes on', async () => {
		const {pair, host, guest} = await connectedPair();
		host.agent.subscribe(event => {
			if (event.type === 'state') {
				throw new Error('listener on fire');
			}
		});
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.ping', ['still'])).resolves.toBe('still');
		expect(logs(host.events)).toContain('host: event listener failed on a state event: listener on fire');
		expect(transitions(host.events)).toEqual(['client IDLE→SEND #1 va.ping', 'client SEND→WAIT #1 va.ping', 'client WAIT→IDLE #1 va.ping']);
	});

	it('an exception while handling one message resets the engine (EPROTO), and the next call works', async () => {
		const {pair, guest} = await connectedPair();
		const host = makeEnd('host', {protocol: boomProtocol});
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.ping', ['BOOM'])).rejects.toMatchObject({
			code: 'EPROTO',
			message: expect.stringMatching(/^internal error: exception on a response: /u) as unknown,
		});
		expect(logs(host.events).some(line => line.startsWith('host: bug: exception on a response: '))).toBe(true);
		expect(host.agent.clientState).toBe('IDLE');
		await expect(host.agent.call('va.ping', ['fine'])).resolves.toBe('fine');
	});

	it('a reader that throws is taken as a framing error: pending jobs fail with EPROTO, the channel stays', async () => {
		const throwing: WireProtocolFactory = limits => {
			const protocol = new XmlRpcProtocol(limits);
			const push = protocol.reader.push.bind(protocol.reader);
			protocol.reader.push = chunk => {
				if (chunk.includes('BOOM')) {
					throw new Error('reader on fire');
				}

				return push(chunk);
			};

			return protocol;
		};

		const {pair, guest} = await connectedPair();
		const host = makeEnd('host', {protocol: throwing});
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.ping', ['BOOM'])).rejects.toMatchObject({
			code: 'EPROTO',
			message: 'framing error: the xmlrpc reader failed: reader on fire',
		});
		expect(host.agent.connected).toBe(true);
		await expect(host.agent.call('va.ping', ['fine'])).resolves.toBe('fine');
	});
});

describe('late tags', () => {
	it('keeps the keys of the last 256 given-up requests: older late answers count as unknown', () => {
		const graceOver: string[] = [];
		const slots = new PeerSlots(reason => graceOver.push(reason));
		for (let n = 0; n < 300; n++) {
			slots.remember(`t${n}`);
		}

		expect(slots.release('t43')).toBe(false); // Evicted: 300 - 256 = 44 oldest gone.
		expect(slots.release('t44')).toBe(true);
		expect(slots.release('t44')).toBe(false); // Recognised once.
		expect(slots.release('t299')).toBe(true);
		expect(graceOver).toEqual([]);
	});

	it('an occupied slot is freed by its late answer, or reported when the grace period ends', async () => {
		const graceOver: string[] = [];
		const slots = new PeerSlots(reason => graceOver.push(reason));
		slots.occupy('a', 'va.a', 50);
		slots.occupy('b', 'va.b', 50);
		expect(slots.size).toBe(2);
		expect(slots.release('a')).toBe(true);
		await waitFor(() => graceOver.length === 1);
		expect(graceOver).toEqual(['no late answer to va.b (tag b) within 50ms']);
		expect(slots.size).toBe(0);
		expect(slots.release('b')).toBe(true); // Still recognised as late afterwards.
	});
});
