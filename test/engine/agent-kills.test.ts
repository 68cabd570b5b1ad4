import {afterEach, describe, expect, it} from 'vitest';
import {Agent} from '../../src/engine/agent.js';
import {EventBus} from '../../src/engine/bus.js';
import {describeTransition} from '../../src/engine/describe.js';
import {RpcFault} from '../../src/engine/errors.js';
import type {EngineEvent} from '../../src/engine/events.js';
import {MethodRegistry, noParams, stringParam} from '../../src/engine/registry.js';
import {encodeCall, encodeResponse} from '../../src/protocol/codec.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import {NdjsonProtocol, onJsonLines} from '../helpers/ndjson-protocol.js';
import {socketPair, waitFor} from '../helpers/socket-pair.js';
import {attachBoth, connectedPair, jobs, logs, makeEnd, onCleanup, runCleanups, transitions, boomProtocol} from './helpers.js';

/*
 * The agent's wiring, its bus and its registry at their edges, over real socket pairs (issue
 * #10, docs/mutation.md round 3): the illegal-transition reset, listeners that throw, the wire
 * tap, requests to a protocol without a server side, the registry's faults and parameter checks.
 */

afterEach(runCleanups);

describe('a bug never leaves the engine (docs/PROTOCOL.md §4)', () => {
	it('an illegal transition is reported and resets the engine (EPROTO); the engine goes on', async () => {
		// A listener that re-attaches the guest to a new channel while an answer starts out: the
		// answer's job is dropped by that reset under the server's feet, so its next move is
		// illegal. The engine reports the bug, resets (failing what was queued meanwhile), and lives.
		const {pair, host, guest} = await connectedPair();
		const second = await socketPair();
		onCleanup(() => {
			second.close();
		});
		let queued: Promise<unknown> | undefined;
		guest.agent.subscribe(event => {
			if (event.type === 'state' && event.side === 'server' && event.to === 'SEND' && !queued) {
				guest.agent.attach(socketChannel(second.b, 'second'));
				queued = guest.agent.call('va.ping', ['queued meanwhile']);
				queued.catch(() => undefined);
			}
		});
		guest.agent.attach(socketChannel(pair.b, 'first'));
		host.agent.attach(socketChannel(pair.a, 'host-first'));
		const first = host.agent.call('va.ping', ['x'], {timeoutMs: 60_000});
		first.catch(() => undefined);
		await waitFor(() => queued !== undefined, 5000, 'the listener');
		await expect(queued).rejects.toMatchObject({code: 'EPROTO', message: 'internal error: illegal server job transition: #1 send in failed'});
		expect(logs(guest.events)).toEqual(['guest: bug: illegal server job transition: #1 send in failed; resetting the engine']);
		expect(transitions(guest.events)).toEqual(['server IDLE→SEND #1 va.ping', 'server SEND→IDLE (reset)']);
		expect(guest.agent.serverState).toBe('IDLE');
		expect(guest.agent.clientState).toBe('IDLE');
		// The new channel works both ways.
		const host2 = makeEnd('host2');
		host2.agent.attach(socketChannel(second.a, 'host-second'));
		await expect(host2.agent.call('va.ping', ['again'])).resolves.toBe('again');
		await expect(guest.agent.call('va.ping', ['back'])).resolves.toBe('back');
	});

	it('a listener that throws on a log line is not reported again (no loop); one that throws a non-Error is reported by its text', async () => {
		const {pair, host, guest} = await connectedPair();
		const seen: string[] = [];
		host.agent.subscribe(event => {
			if (event.type === 'log') {
				seen.push(event.message);
				throw new Error('log listener on fire');
			}

			if (event.type === 'job' && event.to === 'done') {
				throw 'a bare string';
			}
		});
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.ping', ['ok'])).resolves.toBe('ok');
		expect(seen).toEqual(['host: event listener failed on a job event: a bare string']);
		expect(logs(host.events)).toEqual(['host: event listener failed on a job event: a bare string']);
	});

	it('an unsubscribed listener hears nothing more; with no listener at all the engine still runs', async () => {
		const {pair, host, guest} = await connectedPair();
		const heard: EngineEvent[] = [];
		const unsubscribe = host.agent.subscribe(event => heard.push(event));
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.ping', ['one'])).resolves.toBe('one');
		const count = heard.length;
		expect(count).toBeGreaterThan(0);
		unsubscribe();
		await expect(host.agent.call('va.ping', ['two'])).resolves.toBe('two');
		expect(heard).toHaveLength(count);
	});
});

describe('the bus', () => {
	it('builds no state or job event when nobody listens, and says whether anyone does', () => {
		const bus = new EventBus('solo');
		expect(bus.listening).toBe(false);
		bus.state('client', 'IDLE', 'SEND', {id: 1, method: 'm', tag: 't'});
		const events: EngineEvent[] = [];
		const off = bus.subscribe(event => events.push(event));
		expect(bus.listening).toBe(true);
		bus.state('server', 'IDLE', 'WAIT', undefined);
		bus.state('client', 'SEND', 'IDLE', {id: 2, method: 'va.x', tag: 'k'}, 'reset');
		bus.job('server', {id: 3, method: 'va.y', tag: undefined}, null, 'running', 1, 4);
		bus.job('client', {id: 4, method: 'va.z', tag: 'q'}, 'waiting', 'failed', 0, 5, {code: 'EPROTO', message: 'why'});
		bus.tap('in', 'request', 't', Buffer.from('x'));
		bus.wireTap = true;
		bus.tap('out', 'response', 'u', Buffer.from('body'));
		bus.log('debug', 'a line');
		off();
		expect(bus.listening).toBe(false);
		bus.log('info', 'unheard');
		expect(events.map(({at, ...rest}) => (typeof at === 'number' ? rest : at))).toEqual([
			{type: 'state', side: 'server', from: 'IDLE', to: 'WAIT', jobId: undefined, method: undefined, tag: undefined},
			{type: 'state', side: 'client', from: 'SEND', to: 'IDLE', jobId: 2, method: 'va.x', tag: 'k', reason: 'reset'},
			{type: 'job', side: 'server', from: null, to: 'running', jobId: 3, method: 'va.y', tag: undefined, queued: 1, limit: 4},
			{
				type: 'job',
				side: 'client',
				from: 'waiting',
				to: 'failed',
				jobId: 4,
				method: 'va.z',
				tag: 'q',
				queued: 0,
				limit: 5,
				error: {code: 'EPROTO', message: 'why'},
			},
			{type: 'wire', direction: 'out', kind: 'response', tag: 'u', body: Buffer.from('body')},
			{type: 'log', level: 'debug', message: 'solo: a line'},
		]);
		expect(Object.keys(events[0]!)).not.toContain('reason');
		expect(Object.keys(events[2]!)).not.toContain('error');
	});

	it('the wire tap shows every frame both ways with its tag, only while it is on', async () => {
		const {pair, host, guest} = await connectedPair();
		attachBoth(pair, host, guest);
		guest.agent.wireTap = true;
		await expect(host.agent.call('va.ping', ['tapped'])).resolves.toBe('tapped');
		await expect(guest.agent.call('va.ping', ['back'])).resolves.toBe('back');
		const wire = guest.events.flatMap(event =>
			event.type === 'wire'
				? [`${event.direction} ${event.kind} ${event.tag?.replace(/^[\da-f]{6}\./u, '')} ${event.body.includes('<methodCall>') ? 'call' : 'answer'}`]
				: [],
		);
		expect(wire).toEqual(['in request 1 call', 'out response 1 answer', 'out request 1 call', 'in response 1 answer']);
		guest.agent.wireTap = false;
		await expect(host.agent.call('va.ping', ['untapped'])).resolves.toBe('untapped');
		expect(guest.events.filter(event => event.type === 'wire')).toHaveLength(4);
		expect(host.events.filter(event => event.type === 'wire')).toHaveLength(0);
	});
});

describe('the agent', () => {
	it('a request to a protocol without a server side is dropped with a warning, and the reading goes on', async () => {
		const pair = await socketPair();
		onCleanup(() => {
			pair.close();
		});
		// The ndjson test protocol has no server side; an XML-RPC request frame is garbage to it,
		// so the request comes from a reader wrapped to turn one line into a request.
		const host = makeEnd('host', {
			protocol() {
				const protocol = new NdjsonProtocol();
				const push = protocol.reader.push.bind(protocol.reader);
				protocol.reader.push = chunk =>
					chunk.toString().startsWith('REQUEST')
						? [{type: 'message', message: {kind: 'request', key: chunk.includes('untagged') ? undefined : 'r9', method: 'va.x', params: [], raw: chunk}}]
						: push(chunk);
				return protocol;
			},
		});
		host.agent.attach(socketChannel(pair.a, 'ndjson'));
		pair.b.write('REQUEST\n');
		await waitFor(() => logs(host.events).length > 0, 5000, 'the warning');
		expect(logs(host.events)).toEqual(['host: request r9 dropped: ndjson peers send none']);
		pair.b.write('REQUEST untagged\n');
		await waitFor(() => logs(host.events).length > 1, 5000, 'the second warning');
		expect(logs(host.events)[1]).toBe('host: request (untagged) dropped: ndjson peers send none');
		expect(host.events.flatMap(event => (event.type === 'log' ? [event.level] : []))).toEqual(['warn', 'warn']);
		expect(jobs(host.events)).toEqual([]);
		expect(host.agent.serverJobCount).toBe(0);
		expect(host.agent.connected).toBe(true);
	});

	it('starts with the documented defaults, and takes each option', () => {
		const registry = new MethodRegistry();
		const plain = new Agent({name: 'plain', registry});
		expect([plain.clientQueueMax, plain.serverQueueMax, plain.limits.bodyMax, plain.limits.headerMax, plain.peerCapacity]).toEqual([
			5,
			1,
			2 * 1024 * 1024,
			4096,
			1,
		]);
		expect([plain.connected, plain.clientState, plain.serverState, plain.clientJobCount, plain.serverJobCount, plain.protocol.name]).toEqual([
			false,
			'IDLE',
			'IDLE',
			0,
			0,
			'xmlrpc',
		]);
		const tuned = new Agent({name: 'tuned', registry, clientQueueMax: 3, serverQueueMax: 2, limits: {bodyMax: 1000}});
		expect([tuned.clientQueueMax, tuned.serverQueueMax, tuned.limits.bodyMax, tuned.limits.headerMax]).toEqual([3, 2, 1000, 4096]);
		expect(tuned.registry).toBe(registry);
	});

	it('a new channel sets the peer capacity back to 1', async () => {
		const {pair, host} = await connectedPair();
		host.agent.setPeerCapacity(4);
		expect(host.agent.peerCapacity).toBe(4);
		host.agent.attach(socketChannel(pair.a, 'host-end'));
		expect(host.agent.peerCapacity).toBe(1);
		host.agent.close();
		expect(() => {
			host.agent.attach(socketChannel(pair.a, 'again'));
		}).toThrow(expect.objectContaining({code: 'ENOTCONN', message: 'agent is closed'}) as Error);
	});

	it('the deprecated serverSendTimeoutMs still sets the stall time; sendStallMs wins over it', async () => {
		for (const [options, shown] of [
			[{serverSendTimeoutMs: 300}, '300ms'],
			[{serverSendTimeoutMs: 9000, sendStallMs: 200}, '200ms'],
		] as const) {
			const {pair, host} = await connectedPair(options);
			host.agent.attach(socketChannel(pair.a, 'host-end'));
			pair.b.pause();
			await expect(host.agent.call('va.ping', ['y'.repeat(1_900_000)], {timeoutMs: 30_000})).rejects.toMatchObject({code: 'ECONNRESET'});
			expect(logs(host.events)).toContain(`host: send made no progress for ${shown}: the peer stopped reading; closing the channel`);
		}
	});

	it('a request arriving while a client request is being written is answered once that write ends', async () => {
		const {pair, host, guest} = await connectedPair();
		attachBoth(pair, host, guest);
		// Both ends call at once, many times: each end's answers wait for its own request's write.
		for (let n = 0; n < 20; n++) {
			await expect(Promise.all([host.agent.call('va.ping', [`h${n}`]), guest.agent.call('va.ping', [`g${n}`])])).resolves.toEqual([`h${n}`, `g${n}`]);
		}

		expect(logs(host.events)).toEqual([]);
		expect(logs(guest.events)).toEqual([]);
	});
});

describe('the registry', () => {
	it('answers unknown and disabled methods with their faults; lists only enabled ones', async () => {
		const {pair, host, guest} = await connectedPair();
		guest.registry.register('va.off', 'disabled', () => 'never').disable('va.off');
		guest.registry.register('va.coded', 'its own fault', () => {
			throw new RpcFault(-507, 'a coded fault');
		});
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.nope')).rejects.toMatchObject({code: -506, faultString: "Method 'va.nope' not defined"});
		await expect(host.agent.call('va.off')).rejects.toMatchObject({code: -508, faultString: "Method 'va.off' is disabled by the guest's configuration"});
		await expect(host.agent.call('va.coded')).rejects.toMatchObject({code: -507, faultString: 'a coded fault'});
		await expect(host.agent.call('system.listMethods')).resolves.toEqual(['system.listMethods', 'va.coded', 'va.ping']);
		expect(guest.registry.allMethods()).toEqual(['system.listMethods', 'va.coded', 'va.off', 'va.ping']);
		expect([
			guest.registry.has('va.off'),
			guest.registry.isEnabled('va.off'),
			guest.registry.isEnabled('va.ping'),
			guest.registry.isEnabled('va.nope'),
		]).toEqual([true, false, true, false]);
	});

	it("an async handler's RpcFault keeps its code; the parameter checks say which parameter is wrong", async () => {
		const {pair, host, guest} = await connectedPair();
		guest.registry.register('va.async', 'rejects with a code', async () => Promise.reject(new RpcFault(-509, 'async coded')));
		guest.registry.register('va.named', 'takes a string', params => stringParam(params, 1, 'name'));
		guest.registry.register('va.none', 'takes nothing', params => {
			noParams(params);
			return 'nothing';
		});
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.async')).rejects.toMatchObject({code: -509, faultString: 'async coded'});
		await expect(host.agent.call('va.named', ['first', 'second'])).resolves.toBe('second');
		await expect(host.agent.call('va.named', ['first'])).rejects.toMatchObject({code: -501, faultString: 'missing parameter 2 (name): string expected'});
		await expect(host.agent.call('va.named', ['first', 7])).rejects.toMatchObject({code: -501, faultString: 'parameter 2 (name): string expected'});
		await expect(host.agent.call('va.none')).resolves.toBe('nothing');
		await expect(host.agent.call('va.none', [1, 2])).rejects.toMatchObject({code: -501, faultString: 'expected no parameters, got 2'});
	});
});

describe('a request frame on the wire is a request (a raw far end)', () => {
	it('the tap labels a raw request frame as a request', async () => {
		const pair = await socketPair();
		onCleanup(() => {
			pair.close();
		});
		const guest = makeEnd('guest');
		guest.agent.wireTap = true;
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));
		pair.a.write(encodeFrame('request', 'raw1', encodeCall('va.ping', ['raw'])));
		await waitFor(() => guest.events.filter(event => event.type === 'wire').length === 2, 5000, 'both taps');
		expect(guest.events.flatMap(event => (event.type === 'wire' ? [`${event.direction} ${event.kind} ${event.tag}`] : []))).toEqual([
			'in request raw1',
			'out response raw1',
		]);
	});
});

describe('late tags over a real socket (docs/PROTOCOL.md §4)', () => {
	it('the keys of the last 256 requests a framing error failed are kept: an answer to an older one is unknown, to a newer one late', async () => {
		const pair = await socketPair();
		onCleanup(() => {
			pair.close();
		});
		const host = makeEnd('host');
		host.agent.attach(socketChannel(pair.a, 'host-end'));
		// The far end answers every request with a broken frame: the request fails with EPROTO.
		const tags: string[] = [];
		const decoder = new FrameDecoder();
		pair.b.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type === 'frame') {
					tags.push(event.frame.tag!);
					pair.b.write(Buffer.from('\u00FFHTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', 'latin1'));
				}
			}
		});
		for (let n = 0; n < 257; n++) {
			await expect(host.agent.call('va.ping', [])).rejects.toMatchObject({code: 'EPROTO'});
		}

		const answer = (tag: string) => encodeFrame('response', tag, encodeResponse('late'));
		const before = logs(host.events).length;
		pair.b.write(Buffer.concat([answer(tags[0]!), answer(tags[1]!), answer(tags[256]!), answer(tags[256]!)]));
		await waitFor(() => logs(host.events).length === before + 4, 5000, 'four log lines');
		expect(logs(host.events).slice(before)).toEqual([
			`host: response with unknown tag ${JSON.stringify(tags[0])} dropped`,
			`host: late response for tag ${tags[1]} dropped (its job already failed)`,
			`host: late response for tag ${tags[256]} dropped (its job already failed)`,
			`host: response with unknown tag ${JSON.stringify(tags[256])} dropped`,
		]);
	});
});

describe('the agent recovers from its own bugs without looping', () => {
	/** A real socket's channel whose write throws at once (a broken Channel: the contract says it rejects). */
	function throwingWrites(inner: ReturnType<typeof socketChannel>) {
		return {
			...inner,
			writeEager: undefined,
			write: () => {
				throw new Error('write on fire');
			},
		};
	}

	it('an exception in the kick is a bug: reported, and the engine resets (EPROTO)', async () => {
		const {pair, host} = await connectedPair();
		host.agent.attach(throwingWrites(socketChannel(pair.a, 'host-end')));
		await expect(host.agent.call('va.ping', ['first'])).rejects.toMatchObject({
			code: 'EPROTO',
			message: 'internal error: exception in the kick: write on fire',
		});
		expect(logs(host.events)).toEqual(['host: bug: exception in the kick: write on fire; resetting the engine']);
		expect(host.events.flatMap(event => (event.type === 'log' ? [event.level] : []))).toEqual(['error']);
		expect(host.agent.clientState).toBe('IDLE');
	});

	it("a reset started while one runs is skipped: the jobs fail with the first reset's code", async () => {
		const pair = await socketPair();
		onCleanup(() => {
			pair.close();
		});
		const host = makeEnd('host', {clientQueueMax: 5});
		host.agent.attach(socketChannel(pair.a, 'host-end'));
		const decoder = new FrameDecoder();
		let requests = 0;
		pair.b.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type === 'frame' && ++requests === 1) {
					pair.b.write(Buffer.from('\u00FFHTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', 'latin1'));
				}
			}
		});
		host.agent.subscribe(event => {
			if (event.type === 'job' && event.to === 'failed' && host.agent.connected) {
				host.agent.detach('dropped by a listener');
			}
		});
		const calls = [host.agent.call('va.ping', ['a']), host.agent.call('va.ping', ['b']), host.agent.call('va.ping', ['c'])];
		const outcomes = await Promise.allSettled(calls);
		expect(outcomes.map(outcome => (outcome.status === 'rejected' ? (outcome.reason as {code: string}).code : 'resolved'))).toEqual([
			'EPROTO',
			'EPROTO',
			'EPROTO',
		]);
		expect(host.agent.connected).toBe(false);
	});
});

describe('the kick: server work first, and nothing left behind (docs/PROTOCOL.md §4)', () => {
	it('when a long write ends, the ready answers go out before the queued request, every one of them', async () => {
		const pair = await socketPair();
		onCleanup(() => {
			pair.close();
		});
		const guest = makeEnd('guest', {serverQueueMax: 3});
		guest.registry.register('va.big', 'a big answer', () => 'x'.repeat(1024 * 1024));
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));
		// The far end reads everything and notes each frame's kind and tag, in order.
		const seen: string[] = [];
		const decoder = new FrameDecoder();
		pair.a.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type === 'frame') {
					seen.push(`${event.frame.kind} ${event.frame.kind === 'response' ? event.frame.tag! : 'from the guest'}`);
				}
			}
		});
		pair.a.pause(); // Until everything below is lined up: the big answer cannot finish before.
		pair.a.write(Buffer.concat([encodeFrame('request', 'big', encodeCall('va.big', [])), encodeFrame('request', 'p2', encodeCall('va.ping', ['p2']))]));
		await waitFor(() => guest.agent.serverState === 'SEND', 5000, 'the big answer on the wire');
		const call = guest.agent.call('va.ping', ['from the guest'], {timeoutMs: 10_000});
		call.catch(() => undefined);
		pair.a.write(encodeFrame('request', 'p3', encodeCall('va.ping', ['p3'])));
		await waitFor(() => guest.agent.serverJobCount === 3, 5000, 'p2 and p3 answered, waiting');
		pair.a.resume();
		await waitFor(() => seen.length === 4, 10_000, `four frames (saw ${seen.join(', ')})`);
		expect(seen).toEqual(['response big', 'response p2', 'response p3', 'request from the guest']);
	});
});

describe('a bug while recovering from another', () => {
	it('once the recovery is over, the next bug resets the engine again', async () => {
		const {pair, guest} = await connectedPair();
		const host = makeEnd('host', {protocol: boomProtocol});
		attachBoth(pair, host, guest);
		for (const text of ['BOOM', 'BOOM again']) {
			await expect(host.agent.call('va.ping', [text], {timeoutMs: 5000})).rejects.toMatchObject({
				code: 'EPROTO',
				message: expect.stringMatching(/^internal error: exception on a response: /u) as unknown,
			});
		}

		expect(logs(host.events)).toHaveLength(2);
		expect(logs(host.events).every(line => line.endsWith('; resetting the engine'))).toBe(true);
	});

	it('is reported, without a second reset (no loop)', async () => {
		const {pair, guest} = await connectedPair();
		// A wire protocol with a bug: a response carrying BOOM comes without an outcome.
		const host = makeEnd('host', {protocol: boomProtocol});
		// A channel with a bug too: a write of THROW throws at once.
		const inner = socketChannel(pair.a, 'host-end');
		host.agent.attach({
			...inner,
			writeEager: undefined,
			// Not async: the throw must happen inside the kick, not as a rejection.
			write(data) {
				if (data.includes('THROW')) {
					throw new Error('write on fire');
				}

				return inner.write(data);
			},
		});
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));
		let again: Promise<unknown> | undefined;
		host.agent.subscribe(event => {
			if (event.type === 'job' && event.to === 'failed' && !again) {
				again = host.agent.call('va.ping', ['THROW'], {timeoutMs: 300});
				again.catch(() => undefined);
			}
		});
		await expect(host.agent.call('va.ping', ['BOOM'])).rejects.toMatchObject({code: 'EPROTO'});
		expect(logs(host.events)).toEqual([
			expect.stringMatching(/^host: bug: exception on a response: .*; resetting the engine$/u),
			'host: bug: exception in the kick: write on fire (while resetting after another)',
		]);
		expect(host.events.flatMap(event => (event.type === 'log' ? [event.level] : []))).toEqual(['error', 'error']);
	});
});

describe('what a failure says', () => {
	it("a named error's class is kept on the RPCFailed error (qemu-ga's CommandNotFound, over the ndjson test protocol)", async () => {
		const pair = await socketPair();
		onCleanup(() => {
			pair.close();
		});
		const host = makeEnd('host', {protocol: () => new NdjsonProtocol()});
		host.agent.attach(socketChannel(pair.a, 'ndjson'));
		onJsonLines<{execute: string; arguments: {id?: unknown}; id: string}>(pair.b, request => {
			if (request.execute === 'sync') {
				pair.b.write(Buffer.concat([Buffer.from([0xff]), Buffer.from(`${JSON.stringify({return: request.arguments.id})}\n`)]));
			} else {
				pair.b.write(`${JSON.stringify({error: {class: 'CommandNotFound', desc: 'no such command'}, id: request.id})}\n`);
			}
		});
		await expect(host.agent.call('guest-nope')).rejects.toMatchObject({
			name: 'RPCFailed',
			code: -500,
			faultString: 'no such command',
			errorClass: 'CommandNotFound',
		});
	});

	it('a transition line names the job, and its method as ? when it has none', () => {
		const base = {type: 'state', side: 'server', from: 'IDLE', to: 'SEND', tag: undefined, at: 0} as const;
		expect(describeTransition({...base, jobId: 7, method: undefined})).toBe('server IDLE→SEND #7 ?');
		expect(describeTransition({...base, jobId: undefined, method: undefined, reason: 'reset'})).toBe('server IDLE→SEND (reset)');
	});
});
