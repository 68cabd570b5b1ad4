import {afterEach, describe, expect, it} from 'vitest';
import type {EngineEvent} from '../../src/engine/events.js';
import {encodeCall} from '../../src/protocol/codec.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {MethodRegistry} from '../../src/engine/registry.js';
import type {Channel} from '../../src/transport/channel.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import {gate, type Gate} from '../helpers/gate.js';
import {socketPair, waitFor} from '../helpers/socket-pair.js';
import {countingChannel, jobs, logs, makeEnd, onCleanup, runCleanups, transitions, rawFarEnd} from './helpers.js';

/*
 * The engine's server half (src/engine/server-side.ts) over a real socket whose far end the
 * test writes frames to by hand (issue #10, docs/mutation.md round 3): refusals and the
 * back-pressure that pauses reading while they pile up (on a channel that can pause and on one
 * that cannot), the input bound while paused, the server machine's resets, late and failing
 * after-reply actions, unreadable requests.
 */

afterEach(runCleanups);

const limitFault = 'fault -500 server job queue limit exceeded';

function request(tag: string | undefined, method = 'va.ping', params: string[] = [tag ?? 'untagged']): Buffer {
	return encodeFrame('request', tag, encodeCall(method, params));
}

/**
 * A real socket's channel whose next write waits for the test (`hold`), which counts the bytes
 * it hands to the engine, and which can pause or not (a channel that cannot pause makes the
 * engine keep what arrives meanwhile, up to its bound).
 */
function testChannel(inner: Channel, canPause: boolean) {
	let held: Gate | undefined;
	let pauses = 0;
	const {channel, delivered} = countingChannel(inner, {
		canPause,
		async write(data) {
			const wait = held;
			held = undefined;
			await wait?.promise;
			return inner.write(data);
		},
		onPause() {
			pauses++;
		},
	});
	return {
		channel,
		hold() {
			held = gate();
			return held;
		},
		delivered,
		pauses: () => pauses,
	};
}

async function guestEnd(options: Parameters<typeof makeEnd>[1] = {}, canPause = true) {
	const pair = await socketPair();
	onCleanup(() => {
		pair.close();
	});
	const guest = makeEnd('guest', options);
	const test = testChannel(socketChannel(pair.b, 'guest-end'), canPause);
	guest.agent.attach(test.channel);
	return {pair, guest, host: rawFarEnd(pair.a), ...test};
}

/** The first stream hung up and lost; a second one attached to the same guest. */
async function replaceChannel(pair: {a: {destroy(): void}}, guest: ReturnType<typeof makeEnd>, canPause: boolean) {
	pair.a.destroy();
	await waitFor(() => !guest.agent.connected, 5000, 'the channel lost');
	const next = await socketPair();
	onCleanup(() => {
		next.close();
	});
	const second = testChannel(socketChannel(next.b, 'second'), canPause);
	guest.agent.attach(second.channel);
	return {next, second};
}

/**
 * A guest on a channel that cannot pause, whose answer's write is held: three requests, one
 * slot and one refusal allowed, so the refusal pauses reading and what follows is kept.
 */
async function pausedByRefusal() {
	const end = await guestEnd({serverQueueMax: 1, refusalMax: 1, limits: {bodyMax: 1000, headerMax: 300}}, false);
	const write = end.hold();
	const first = Buffer.concat([request('a1'), request('a2'), request('a3')]);
	end.pair.a.write(first);
	await waitFor(() => logs(end.guest.events).length > 0, 5000, 'the refusal');
	return {...end, write, first};
}

function serverJobs(events: readonly EngineEvent[]): string[] {
	return jobs(events).filter(line => line.startsWith('server '));
}

describe('back-pressure instead of drops (docs/PROTOCOL.md §4)', () => {
	for (const canPause of [true, false]) {
		for (const split of [false, true]) {
			it(`refusals pause reading until they drain; nothing is lost (${canPause ? 'a channel that pauses' : 'a channel that cannot pause'}, ${split ? 'the next request in a later chunk' : 'all in one chunk'})`, async () => {
				const {pair, guest, host, hold, delivered, pauses} = await guestEnd({serverQueueMax: 1, refusalMax: 1}, canPause);
				const write = hold(); // a1's answer stays on the wire until the test opens this.
				const first = Buffer.concat([request('a1'), request('a2'), request('a3'), ...(split ? [] : [request('a4')])]);
				pair.a.write(first);
				await waitFor(() => logs(guest.events).length > 0, 5000, 'the refusal');
				expect(logs(guest.events)).toEqual(['guest: request a3 refused: server job queue limit exceeded']);
				expect(guest.events.flatMap(event => (event.type === 'log' ? [event.level] : []))).toEqual(['warn']);
				// Each server job event gives the jobs being answered (refusals not counted) and the limit.
				expect(
					guest.events.flatMap(event =>
						event.type === 'job' && event.side === 'server' ? [`#${event.jobId} ${event.to} ${event.queued}/${event.limit}`] : [],
					),
				).toEqual(['#1 running 1/1', '#1 ready 1/1', '#1 sending 1/1', '#2 running 2/1', '#2 ready 2/1', '#3 ready 2/1']);
				if (split) {
					await waitFor(() => delivered() === first.length, 5000, 'the first chunk read');
					pair.a.write(request('a4'));
					if (!canPause) {
						await waitFor(() => delivered() === first.length + request('a4').length, 5000, 'a4 read while paused');
					}
				}

				// a1 being written, a2 answered and waiting, a3 refused: a4 is not handled yet.
				expect(serverJobs(guest.events).some(line => line.includes('#4'))).toBe(false);
				expect(guest.agent.serverJobCount).toBe(2);
				expect(pauses()).toBe(canPause ? 1 : 0);
				write.open();
				await expect(host.answer('a4')).resolves.toBe('a4');
				expect(host.order).toEqual(['a1', 'a2', 'a3', 'a4']);
				expect(host.answers.get('a3')).toBe(limitFault);
				expect(guest.agent.serverJobCount).toBe(0);
				expect(serverJobs(guest.events).filter(line => line.includes('(rejected)'))).toEqual([
					'server #3 (rejected) new→ready',
					'server #3 (rejected) ready→sending',
					'server #3 (rejected) sending→done',
				]);
			});
		}
	}

	it('reading resumes only once the refusals are down to half the bound', async () => {
		const {pair, guest, host, hold} = await guestEnd({serverQueueMax: 1, refusalMax: 4}, false);
		const release = gate();
		guest.registry.register('va.slow', 'waits', async () => {
			await release.promise;
			return 'slow';
		});
		// The slow request holds the one slot; four refusals pause reading; the fifth request waits.
		const writes = [hold()];
		pair.a.write(Buffer.concat([request('s', 'va.slow', []), request('r1'), request('r2'), request('r3'), request('r4'), request('late')]));
		await waitFor(() => logs(guest.events).length === 4, 5000, 'four refusals');
		expect(logs(guest.events)).toEqual(['r1', 'r2', 'r3', 'r4'].map(tag => `guest: request ${tag} refused: server job queue limit exceeded`));
		// r1's refusal is on the wire (held); hold r2's and r3's too, one at a time.
		writes.push(hold());
		writes[0]!.open();
		await host.answer('r1');
		expect(serverJobs(guest.events).some(line => line.includes(' late'))).toBe(false); // 3 left: above 2.
		writes.push(hold());
		writes[1]!.open();
		await host.answer('r2');
		// 2 left = half of 4: reading resumes, and 'late' is refused too (the slot is still taken).
		await waitFor(() => logs(guest.events).length === 5, 5000, 'the fifth refusal');
		expect(logs(guest.events)[4]).toBe('guest: request late refused: server job queue limit exceeded');
		writes[2]!.open();
		release.open();
		await expect(host.answer('s')).resolves.toBe('slow');
		expect(host.order).toEqual(['r1', 'r2', 'r3', 'r4', 'late', 's']);
	});

	it('a channel that cannot pause: the engine keeps at most 2 × (body + header limits) meanwhile, one byte more closes it', async () => {
		const {pair, guest, delivered, first} = await pausedByRefusal();
		// Exactly the bound, as garbage (not even parsed while paused).
		pair.a.write(Buffer.alloc(2600, 0x41));
		await waitFor(() => delivered() === first.length + 2600, 5000, 'the bound read');
		expect(guest.agent.connected).toBe(true);
		pair.a.write(Buffer.from('B'));
		await waitFor(() => !guest.agent.connected, 5000, 'the overrun');
		expect(logs(guest.events).slice(1)).toEqual([
			'guest: the peer sent 2601 bytes while reading was paused and the channel cannot pause: closing it',
			// What the reader held when the channel went: nothing was started, so nothing is reported.
		]);
		expect(guest.events.flatMap(event => (event.type === 'log' ? [event.level] : []))).toEqual(['warn', 'error']);
		expect(guest.events.find(event => event.type === 'channel' && event.status === 'down')).toMatchObject({reason: 'input overrun while paused'});
		await waitFor(() => pair.b.destroyed, 5000, 'the socket destroyed');
	});

	it('a channel lost while reading is paused: nothing it held reaches the next channel, which pauses again under the same flood', async () => {
		const {pair, guest, hold, delivered} = await guestEnd({serverQueueMax: 1, refusalMax: 1}, false);
		hold();
		// a4 waits in the chunk being handed on, a5 in a chunk read while paused.
		const first = Buffer.concat([request('a1'), request('a2'), request('a3'), request('a4')]);
		pair.a.write(first);
		await waitFor(() => logs(guest.events).length > 0, 5000, 'the refusal');
		pair.a.write(request('a5'));
		await waitFor(() => delivered() === first.length + request('a5').length, 5000, 'a5 read while paused');
		const {next, second} = await replaceChannel(pair, guest, true);
		const host = rawFarEnd(next.a);
		const write = second.hold();
		// The refusal ends the chunk: nothing of this channel waits to be handed on.
		next.a.write(Buffer.concat([request('b1'), request('b2'), request('b3')]));
		await waitFor(() => logs(guest.events).length > 1, 5000, 'the second refusal');
		expect(second.pauses()).toBe(1);
		next.a.write(request('b4'));
		write.open();
		await expect(host.answer('b4')).resolves.toBe('b4');
		expect(host.order).toEqual(['b1', 'b2', 'b3', 'b4']);
		expect(serverJobs(guest.events).filter(line => / va\.ping new→/u.test(line))).toHaveLength(5); // a1, a2, b1, b2, b4 (a3 and b3 were refused; a4 and a5 never handled)
	});

	it('a request that pauses reading again while the kept chunks are handed on stops the hand-over there', async () => {
		const {pair, guest, host, hold, delivered} = await guestEnd({serverQueueMax: 1, refusalMax: 1}, false);
		const release = gate();
		guest.registry.register('va.slow', 'waits', async () => {
			await release.promise;
			return 'slow';
		});
		const writes = [hold()];
		const first = Buffer.concat([request('s', 'va.slow', []), request('r1')]);
		pair.a.write(first);
		await waitFor(() => logs(guest.events).length === 1, 5000, 'the first refusal');
		// Two chunks kept while paused: each will be refused in turn (the slow request holds the slot).
		pair.a.write(request('r2'));
		await waitFor(() => delivered() === first.length + request('r2').length, 5000, 'r2 read');
		pair.a.write(request('r3'));
		await waitFor(() => delivered() === first.length + 2 * request('r2').length, 5000, 'r3 read');
		writes.push(hold());
		writes[0]!.open();
		await host.answer('r1');
		// r2 refused, and reading paused again: r3 waits for r2's refusal to be written.
		await waitFor(() => logs(guest.events).length === 2, 5000, 'the second refusal');
		expect(serverJobs(guest.events).filter(line => line.endsWith('new→ready'))).toHaveLength(2);
		writes[1]!.open();
		await host.answer('r3');
		release.open();
		await expect(host.answer('s')).resolves.toBe('slow');
		expect(host.order).toEqual(['r1', 'r2', 'r3', 's']);
	});

	it('the count of bytes kept while paused starts from zero on a new channel', async () => {
		const {pair, guest, delivered, first} = await pausedByRefusal();
		pair.a.write(Buffer.alloc(2000, 0x41));
		await waitFor(() => delivered() === first.length + 2000, 5000, 'the garbage read');
		const {next, second} = await replaceChannel(pair, guest, false);
		second.hold();
		const again = Buffer.concat([request('b1'), request('b2'), request('b3')]);
		next.a.write(again);
		await waitFor(() => logs(guest.events).length > 1, 5000, 'the second refusal');
		next.a.write(Buffer.alloc(2000, 0x41));
		await waitFor(() => second.delivered() === again.length + 2000, 5000, 'the garbage read');
		expect(guest.agent.connected).toBe(true);
	});

	it('the count of bytes kept while paused starts from zero after a resume too', async () => {
		const {pair, guest, host, hold, delivered, first, write: firstWrite} = await pausedByRefusal();
		let write = firstWrite;
		let sent = first;
		pair.a.write(Buffer.alloc(2000, 0x41));
		await waitFor(() => delivered() === sent.length + 2000, 5000, 'the garbage read');
		write.open();
		await host.answer('a3');
		// The kept garbage was read on resume; pause again and keep as much once more.
		await waitFor(() => logs(guest.events).length === 2, 5000, 'the garbage skipped');
		write = hold();
		const before = delivered();
		sent = Buffer.concat([request('b1'), request('b2'), request('b3')]);
		pair.a.write(sent);
		await waitFor(() => logs(guest.events).length === 3, 5000, 'the second refusal');
		pair.a.write(Buffer.alloc(2000, 0x41));
		await waitFor(() => delivered() === before + sent.length + 2000, 5000, 'the second garbage read');
		expect(guest.agent.connected).toBe(true);
		write.open();
		await host.answer('b3');
	});

	it('a frame started before reading paused is still timed once reading resumes', async () => {
		const {pair, guest, host, hold} = await guestEnd({serverQueueMax: 1, refusalMax: 1, limits: {headerStallMs: 200}}, false);
		const write = hold();
		pair.a.write(Buffer.concat([request('a1'), request('a2'), request('a3'), Buffer.from('\u00FFPOST /RPC2 HTTP/1.1\r\n', 'latin1')]));
		await waitFor(() => logs(guest.events).length > 0, 5000, 'the refusal');
		write.open();
		await host.answer('a3');
		await waitFor(() => logs(guest.events).length > 1, 10_000, 'the stall');
		expect(logs(guest.events)[1]).toMatch(/^guest: framing error: STALLED_FRAME: header not complete 200 ms after its first byte \(\d+ bytes received\)$/u);
	});

	it("a write on a channel that was replaced meanwhile ends without touching the new channel's write", async () => {
		const {guest, hold, pair, host: oldHost} = await guestEnd({serverQueueMax: 2});
		const oldWrite = hold();
		pair.a.write(request('o1'));
		await waitFor(() => guest.agent.serverState === 'SEND', 5000, 'the old answer on the wire');
		const next = await socketPair();
		onCleanup(() => {
			next.close();
		});
		const second = testChannel(socketChannel(next.b, 'second'), true);
		guest.agent.attach(second.channel);
		const host = rawFarEnd(next.a);
		const newWrite = second.hold();
		next.a.write(Buffer.concat([request('b1'), request('b2')]));
		await waitFor(() => guest.agent.serverState === 'SEND', 5000, 'b1 on the wire');
		oldWrite.open();
		// The old answer goes out whole on the old socket; its write's end comes after the new channel took over.
		await oldHost.answer('o1');
		await new Promise(resolve => setImmediate(resolve));
		expect(guest.agent.serverJobCount).toBe(2);
		newWrite.open();
		await host.answer('b2');
		expect(host.order).toEqual(['b1', 'b2']);
	});

	it('an untagged request over the limit is refused as "(untagged)", answered without a tag', async () => {
		const {pair, guest, host, hold} = await guestEnd({serverQueueMax: 1});
		const write = hold();
		pair.a.write(Buffer.concat([request('a1'), request('a2'), request(undefined)]));
		await waitFor(() => logs(guest.events).length > 0, 5000, 'the refusal');
		expect(logs(guest.events)).toEqual(['guest: request (untagged) refused: server job queue limit exceeded']);
		write.open();
		await waitFor(() => host.order.length === 3, 5000, 'three answers');
		// A v6 writer says `none` for "no tag".
		expect(host.order).toEqual(['a1', 'a2', 'none']);
		expect(host.answers.get('none')).toBe(limitFault);
	});
});

describe("the server machine's resets", () => {
	it('the channel lost while an answer is written: SEND→IDLE (reset), the job dropped, its action told false', async () => {
		const {pair, guest, hold} = await guestEnd();
		const told: boolean[] = [];
		guest.registry.register('va.act', 'acts', (_params, context) => {
			context.afterReply(sent => told.push(sent));
			return 'ok';
		});
		hold();
		pair.a.write(request('x1', 'va.act', []));
		await waitFor(() => guest.agent.serverState === 'SEND', 5000, 'the answer on the wire');
		pair.a.destroy();
		await waitFor(() => !guest.agent.connected, 5000, 'the channel lost');
		expect(transitions(guest.events)).toEqual(['server IDLE→SEND #1 va.act', 'server SEND→IDLE #1 va.act (reset)']);
		expect(serverJobs(guest.events).at(-1)).toBe('server #1 va.act sending→failed: ECONNRESET dropped: channel lost: stream closed');
		expect(told).toEqual([false]);
		expect(guest.agent.serverJobCount).toBe(0);
	});

	it('the channel lost while an answer waits behind a client request: WAIT→IDLE (reset) for that answer', async () => {
		const {pair, guest, hold} = await guestEnd();
		const write = hold();
		const call = guest.agent.call('va.ping', [], {timeoutMs: 10_000});
		call.catch(() => undefined);
		expect(guest.agent.clientState).toBe('SEND');
		pair.a.write(request('x1'));
		await waitFor(() => guest.agent.serverState === 'WAIT', 5000, 'the answer deferred');
		pair.a.destroy();
		await expect(call).rejects.toMatchObject({code: 'ECONNRESET'});
		expect(transitions(guest.events).filter(line => line.startsWith('server'))).toEqual(['server IDLE→WAIT #2 va.ping', 'server WAIT→IDLE #2 va.ping (reset)']);
		expect(serverJobs(guest.events).at(-1)).toBe('server #2 va.ping ready→failed: ECONNRESET dropped: channel lost: stream closed');
		write.open();
	});

	it('a framing error drops the running jobs (EPROTO) and keeps the server IDLE', async () => {
		const {pair, guest, host} = await guestEnd();
		const release = gate();
		const told: boolean[] = [];
		guest.registry.register('va.slow', 'waits', async (_params, context) => {
			context.afterReply(sent => told.push(sent));
			await release.promise;
			return 'too late';
		});
		pair.a.write(request('s1', 'va.slow', []));
		await waitFor(() => guest.agent.serverJobCount === 1, 5000, 'the slow job');
		pair.a.write(Buffer.from('\u00FFPOST /RPC2 HTTP/1.1\r\nContent-Length: x\r\n\r\n', 'latin1'));
		await waitFor(() => guest.agent.serverJobCount === 0, 5000, 'the job dropped');
		expect(serverJobs(guest.events).at(-1)).toMatch(/^server #1 va\.slow running→failed: EPROTO dropped: framing error: /u);
		expect(told).toEqual([false]);
		// The server was IDLE: no reset transition, and no other line than the framing error's.
		expect(transitions(guest.events)).toEqual([]);
		expect(logs(guest.events)).toEqual(['guest: framing error: BAD_CONTENT_LENGTH: not a decimal length: "x"']);
		release.open();
		pair.a.write(request('after'));
		await expect(host.answer('after')).resolves.toBe('after');
		expect(host.answers.has('s1')).toBe(false);
	});
	it('a framing error while an answer is being written: the write still ends, and nothing more happens to the dropped job', async () => {
		const {pair, guest, host, hold} = await guestEnd();
		const write = hold();
		pair.a.write(request('w1'));
		await waitFor(() => guest.agent.serverState === 'SEND', 5000, 'the answer on the wire');
		pair.a.write(Buffer.from('\u00FFPOST /RPC2 HTTP/1.1\r\nContent-Length: x\r\n\r\n', 'latin1'));
		await waitFor(() => guest.agent.serverState === 'IDLE', 5000, 'the reset');
		write.open();
		// The answer had started, so its bytes go out whole; the job stays dropped.
		await expect(host.answer('w1')).resolves.toBe('w1');
		pair.a.write(request('w2'));
		await expect(host.answer('w2')).resolves.toBe('w2');
		expect(logs(guest.events)).toEqual(['guest: framing error: BAD_CONTENT_LENGTH: not a decimal length: "x"']);
		expect(transitions(guest.events)).toEqual([
			'server IDLE→SEND #1 va.ping',
			'server SEND→IDLE #1 va.ping (reset)',
			'server IDLE→SEND #2 va.ping',
			'server SEND→IDLE #2 va.ping',
		]);
		expect(serverJobs(guest.events).filter(line => line.startsWith('server #1 '))).toEqual([
			'server #1 va.ping new→running',
			'server #1 va.ping running→ready',
			'server #1 va.ping ready→sending',
			'server #1 va.ping sending→failed: EPROTO dropped: framing error: BAD_CONTENT_LENGTH: not a decimal length: "x"',
		]);
	});
});

describe('answers and their after-reply actions (docs/PROTOCOL.md §4)', () => {
	it('an action registered after the answer was decided runs at once with false; one that throws is logged, the engine goes on', async () => {
		const {pair, guest, host} = await guestEnd();
		let saved: Parameters<Parameters<typeof guest.registry.register>[2]>[1] | undefined;
		const told: string[] = [];
		guest.registry.register('va.keep', 'keeps its context', (_params, context) => {
			saved = context;
			context.afterReply(() => {
				throw new Error('action on fire');
			});
			context.afterReply(sent => told.push(`second ${sent}`));
			return context.tag ?? 'no tag';
		});
		pair.a.write(request('k1', 'va.keep', []));
		await expect(host.answer('k1')).resolves.toBe('k1');
		await waitFor(() => told.length === 1, 5000, 'the actions');
		expect(told).toEqual(['second true']);
		expect(logs(guest.events)).toEqual(['guest: after-reply action failed: action on fire']);
		expect(guest.events.flatMap(event => (event.type === 'log' ? [event.level] : []))).toEqual(['error']);
		saved!.afterReply(sent => told.push(`late ${sent}`));
		expect(told).toEqual(['second true', 'late false']);
		// A late action that throws is swallowed, not logged: it has no bus.
		saved!.afterReply(() => {
			throw new Error('late fire');
		});
		expect(logs(guest.events)).toHaveLength(1);
		pair.a.write(request('k2'));
		await expect(host.answer('k2')).resolves.toBe('k2');
	});

	it('a fault answer tells its action false; a thrown string becomes fault -500 with that text', async () => {
		const {pair, guest, host} = await guestEnd();
		const told: boolean[] = [];
		guest.registry.register('va.fails', 'fails after registering', (_params, context) => {
			context.afterReply(sent => told.push(sent));
			throw 'a plain string';
		});
		guest.registry.register('va.rejects', 'rejects', async () => Promise.reject(new Error('async failure')));
		guest.registry.register('va.rejectsString', 'rejects with a string', async () => Promise.reject('async string' as unknown as Error));
		pair.a.write(Buffer.concat([request('f1', 'va.fails', [])]));
		await expect(host.answer('f1')).resolves.toBe('fault -500 a plain string');
		pair.a.write(request('f2', 'va.rejects', []));
		await expect(host.answer('f2')).resolves.toBe('fault -500 async failure');
		pair.a.write(request('f3', 'va.rejectsString', []));
		await expect(host.answer('f3')).resolves.toBe('fault -500 async string');
		expect(told).toEqual([false]);
	});

	it('a handler that never answers: fault -500 at its deadline, in seconds when whole; the slot is freed', async () => {
		const {pair, guest, host} = await guestEnd({handlerTimeoutMs: 1000});
		guest.registry.register('va.never', 'never answers', async () => new Promise(() => undefined));
		pair.a.write(request('n1', 'va.never', []));
		await expect(host.answer('n1')).resolves.toBe('fault -500 va.never did not answer within 1s');
		pair.a.write(request('n2'));
		await expect(host.answer('n2')).resolves.toBe('n2');
	});

	it('a registry that breaks its contract (throws, or rejects) still gets its request a -500 answer', async () => {
		const broken = new (class extends MethodRegistry {
			override dispatch(call: Parameters<MethodRegistry['dispatch']>[0], context: Parameters<MethodRegistry['dispatch']>[1]) {
				if (call.method === 'va.throws') {
					throw new Error('dispatch on fire');
				}

				if (call.method === 'va.rejects') {
					return Promise.reject(new Error('async dispatch on fire'));
				}

				return super.dispatch(call, context);
			}
		})();
		broken.register('va.ping', 'echo', params => params[0] ?? 'untagged');
		const pair2 = await socketPair();
		onCleanup(() => {
			pair2.close();
		});
		const guest2 = makeEnd('guest2', {registry: broken});
		guest2.agent.attach(socketChannel(pair2.b, 'guest2'));
		const host2 = rawFarEnd(pair2.a);
		pair2.a.write(request('t1', 'va.throws', []));
		await expect(host2.answer('t1')).resolves.toBe('fault -500 dispatch on fire');
		pair2.a.write(request('t2', 'va.rejects', []));
		await expect(host2.answer('t2')).resolves.toBe('fault -500 async dispatch on fire');
		pair2.a.write(request('t3'));
		await expect(host2.answer('t3')).resolves.toBe('t3');
	});

	it('an answer after the deadline is ignored quietly: no second answer, no bug reported', async () => {
		const {pair, guest, host} = await guestEnd({handlerTimeoutMs: 200});
		const late = gate();
		let answered!: () => void;
		const settled = new Promise<void>(resolve => {
			answered = resolve;
		});
		guest.registry.register('va.late', 'answers too late', async () => {
			await late.promise;
			answered();
			return 'too late';
		});
		pair.a.write(request('l1', 'va.late', []));
		await expect(host.answer('l1')).resolves.toBe('fault -500 va.late did not answer within 200ms');
		late.open();
		await settled;
		pair.a.write(request('l2'));
		await expect(host.answer('l2')).resolves.toBe('l2');
		expect(logs(guest.events)).toEqual([]);
		expect(host.order).toEqual(['l1', 'l2']);
	});

	it('an unreadable request is answered with its fault and shows as method "?"', async () => {
		const {pair, guest, host} = await guestEnd();
		pair.a.write(
			encodeFrame(
				'request',
				'bad',
				Buffer.from(
					'<?xml version="1.0"?><methodCall><methodName>va.ping</methodName><params><param><value><int>x</int></value></param></params></methodCall>',
				),
			),
		);
		await expect(host.answer('bad')).resolves.toBe("fault -503 Malformed XML-RPC body: Expected an integer but got 'x'");
		expect(serverJobs(guest.events)).toEqual(['server #1 ? new→running', 'server #1 ? running→ready', 'server #1 ? ready→sending', 'server #1 ? sending→done']);
	});
});
