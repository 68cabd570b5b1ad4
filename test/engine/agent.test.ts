import net from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {RpcFaultError, VirtagentError} from '../../src/engine/errors.js';
import {stringParam} from '../../src/engine/registry.js';
import {encodeCall} from '../../src/protocol/codec.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {decodeResponse} from '../../src/protocol/codec.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import {gate} from '../helpers/gate.js';
import {waitFor} from '../helpers/socket-pair.js';
import {attachBoth, connectedPair, heldChannel, jobs, logs, runCleanups, slowMethod, transitions, type End} from './helpers.js';

afterEach(runCleanups);

describe('one call', () => {
	it('moves through the exact client and server sequences', async () => {
		const {pair, host, guest} = await connectedPair();
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.ping', [null])).resolves.toBeNull();

		expect(transitions(host.events)).toEqual(['client IDLE→SEND #1 va.ping', 'client SEND→WAIT #1 va.ping', 'client WAIT→IDLE #1 va.ping']);
		expect(jobs(host.events)).toEqual([
			'client #1 va.ping new→queued',
			'client #1 va.ping queued→sending',
			'client #1 va.ping sending→waiting',
			'client #1 va.ping waiting→done',
		]);
		await waitFor(() => guest.agent.serverState === 'IDLE' && transitions(guest.events).length === 2);
		expect(transitions(guest.events)).toEqual(['server IDLE→SEND #1 va.ping', 'server SEND→IDLE #1 va.ping']);
		expect(jobs(guest.events)).toEqual([
			'server #1 va.ping new→running',
			'server #1 va.ping running→ready',
			'server #1 va.ping ready→sending',
			'server #1 va.ping sending→done',
		]);
		const state = host.events.find(event => event.type === 'state');
		expect(state).toMatchObject({side: 'client', from: 'IDLE', to: 'SEND', jobId: 1, method: 'va.ping'});
		expect(typeof (state as {tag: string}).tag).toBe('string');
		expect((state as {at: number}).at).toBeGreaterThan(0);
	});

	it('reports faults as RPCFailed with the code and message', async () => {
		const {pair, host, guest} = await connectedPair();
		guest.registry.register('va.echo', 'echo', params => stringParam(params, 0, 'text'));
		guest.registry.register('va.broken', 'throws', () => {
			throw new Error('disk on fire');
		});
		guest.registry.register('va.off', 'disabled', () => 'never').disable('va.off');
		attachBoth(pair, host, guest);

		const fault = async (method: string, params: never[] = []) =>
			host.agent.call(method, params).then(
				() => undefined,
				(error: unknown) => error as RpcFaultError,
			);
		expect(await fault('va.nope')).toMatchObject({name: 'RPCFailed', code: -506, faultString: "Method 'va.nope' not defined"});
		expect(await fault('va.echo')).toMatchObject({code: -501});
		expect(await fault('va.broken')).toMatchObject({code: -500, faultString: 'disk on fire'});
		expect(await fault('va.off')).toMatchObject({code: -508});
		await expect(host.agent.call('system.listMethods')).resolves.toEqual(['system.listMethods', 'va.broken', 'va.echo', 'va.ping']);
		await expect(host.agent.call('va.echo', ['héllo'])).resolves.toBe('héllo');
	});
});

describe('multiplexing', () => {
	it('defers a response (server IDLE→WAIT) while a request is being sent, then sends it', async () => {
		const {pair, host, guest} = await connectedPair();
		const held = heldChannel(socketChannel(pair.a, 'host-end'));
		host.agent.attach(held.channel);
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));

		const writeGate = held.hold(); // The host's next write (its request) is slow.
		const hostCall = host.agent.call('va.ping', ['from host']);
		await waitFor(() => host.agent.clientState === 'SEND');
		const guestCall = guest.agent.call('va.ping', ['from guest']);
		// The guest's request reaches the host while the host is still sending its own.
		await waitFor(() => host.agent.serverState === 'WAIT', 5000, 'host server WAIT');
		writeGate.open();
		await expect(hostCall).resolves.toBe('from host');
		await expect(guestCall).resolves.toBe('from guest');

		const hostServer = transitions(host.events).filter(line => line.startsWith('server'));
		expect(hostServer).toEqual(['server IDLE→WAIT #2 va.ping', 'server WAIT→SEND #2 va.ping', 'server SEND→IDLE #2 va.ping']);
		// The response went out right after the request finished: client SEND→WAIT, then server WAIT→SEND.
		const all = transitions(host.events);
		expect(all.indexOf('server WAIT→SEND #2 va.ping')).toBe(all.indexOf('client SEND→WAIT #1 va.ping') + 1);
	});

	it('both ends sending a request at the same moment both complete (no v5 deadlock)', async () => {
		const {pair, host, guest} = await connectedPair();
		attachBoth(pair, host, guest);
		for (let round = 0; round < 50; round++) {
			const results = await Promise.all([host.agent.call('va.ping', [`h${round}`]), guest.agent.call('va.ping', [`g${round}`])]);
			expect(results).toEqual([`h${round}`, `g${round}`]);
		}

		expect(host.agent.clientState).toBe('IDLE');
		expect(guest.agent.clientState).toBe('IDLE');
		await waitFor(() => host.agent.serverState === 'IDLE' && guest.agent.serverState === 'IDLE');
	});

	it('a 6th client job fails at once with ENOBUFS and disturbs nothing', async () => {
		const {pair, host, guest} = await connectedPair();
		const release = slowMethod(guest, params => params[0]!);
		attachBoth(pair, host, guest);

		const five = [1, 2, 3, 4, 5].map(async n => host.agent.call('va.slow', [n]));
		expect(host.agent.clientJobCount).toBe(5);
		// Each job's first event counts it in the queue length it reports (the panel shows 5/5).
		const created = host.events.flatMap(event =>
			event.type === 'job' && event.side === 'client' && event.from === null && event.method === 'va.slow' ? [event.queued] : [],
		);
		expect(created).toEqual([1, 2, 3, 4, 5]);
		const sixth = host.agent.call('va.slow', [6]);
		await expect(sixth).rejects.toMatchObject({name: 'VirtagentFailed', code: 'ENOBUFS', message: 'client job queue limit exceeded'});
		expect(host.agent.clientJobCount).toBe(5);
		release.open();
		await expect(Promise.all(five)).resolves.toEqual([1, 2, 3, 4, 5]);
		expect(jobs(host.events).filter(line => line.endsWith('→done'))).toHaveLength(5);
		expect(jobs(host.events).filter(line => line.includes('failed'))).toEqual([]);
	});

	it('takes its client queue limit from its options (2 here)', async () => {
		const {pair, host, guest} = await connectedPair({clientQueueMax: 2});
		const release = slowMethod(guest, () => 'done');
		attachBoth(pair, host, guest);
		const two = [host.agent.call('va.slow'), host.agent.call('va.slow')];
		await expect(host.agent.call('va.slow')).rejects.toMatchObject({code: 'ENOBUFS'});
		release.open();
		await expect(Promise.all(two)).resolves.toEqual(['done', 'done']);
		expect(host.events.find(event => event.type === 'job')).toMatchObject({limit: 2});
	});

	it('takes its server queue limit from its options (2 here): the third pipelined request is refused', async () => {
		const {pair, guest} = await connectedPair({}, {serverQueueMax: 2});
		const release = slowMethod(guest, () => 'slow done');
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));
		const decoder = new FrameDecoder();
		const answers: string[] = [];
		pair.a.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type === 'frame') {
					const response = decodeResponse(event.frame.body);
					answers.push(`${event.frame.tag} ${response.ok ? String(response.value) : response.fault.message}`);
				}
			}
		});
		for (const tag of ['t1', 't2', 't3']) {
			pair.a.write(encodeFrame('request', tag, encodeCall('va.slow', [])));
		}

		await waitFor(() => answers.length === 1, 5000, 'the refusal');
		release.open();
		await waitFor(() => answers.length === 3, 5000, 'both answers');
		expect(answers).toEqual(['t3 server job queue limit exceeded', 't1 slow done', 't2 slow done']);
	});

	it('a request over the server queue limit is answered with fault -500, not dropped', async () => {
		const {pair, guest} = await connectedPair();
		const release = slowMethod(guest, () => 'slow done');
		guest.agent.attach(socketChannel(pair.b, 'guest-end'));

		// A pipelining peer: three requests at once, with a raw socket.
		const decoder = new FrameDecoder();
		const responses: Array<{tag: string | undefined; body: Buffer}> = [];
		pair.a.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type === 'frame') {
					responses.push(event.frame);
				}
			}
		});
		for (const tag of ['t1', 't2', 't3']) {
			pair.a.write(encodeFrame('request', tag, encodeCall('va.slow', [])));
		}

		await waitFor(() => responses.length === 2, 5000, 'two rejections');
		release.open();
		await waitFor(() => responses.length === 3, 5000, 'the real answer');
		const decoded = await Promise.all(responses.map(async frame => ({tag: frame.tag, response: await decodeResponse(frame.body)})));
		expect(decoded).toEqual([
			{tag: 't2', response: {ok: false, fault: {code: -500, message: 'server job queue limit exceeded'}}},
			{tag: 't3', response: {ok: false, fault: {code: -500, message: 'server job queue limit exceeded'}}},
			{tag: 't1', response: {ok: true, value: 'slow done'}},
		]);
	});

	it('serves a request that arrives while the previous response is still being written (no spurious -500)', async () => {
		const {pair, host, guest} = await connectedPair();
		host.agent.attach(socketChannel(pair.a, 'host-end'));
		// The guest's bytes go out at once, but its write completion is reported late.
		const inner = socketChannel(pair.b, 'guest-end');
		const lateCompletion = gate();
		guest.agent.attach({
			label: inner.label,
			start: handlers => {
				inner.start(handlers);
			},
			async write(data) {
				await inner.write(data);
				await lateCompletion.promise;
			},
			destroy: () => {
				inner.destroy();
			},
		});
		await expect(host.agent.call('va.ping', ['first'])).resolves.toBe('first');
		expect(guest.agent.serverState).toBe('SEND');
		const second = host.agent.call('va.ping', ['second']);
		await waitFor(() => jobs(guest.events).some(line => line.startsWith('server #2')), 5000, 'second request received');
		lateCompletion.open();
		await expect(second).resolves.toBe('second');
		expect(logs(guest.events).filter(line => line.includes('refused'))).toEqual([]);
	});
});

describe('timeouts', () => {
	it('fails with ETIMEDOUT, then drops the late response by its tag, then goes on', async () => {
		const {pair, host, guest} = await connectedPair();
		const release = slowMethod(guest, () => 'late');
		attachBoth(pair, host, guest);

		await expect(host.agent.call('va.slow', [], {timeoutMs: 100})).rejects.toMatchObject({code: 'ETIMEDOUT', message: 'va.slow timed out after 100ms'});
		expect(host.agent.clientState).toBe('IDLE');
		const tag = host.events.find(event => event.type === 'job')!.tag!;
		release.open();
		await waitFor(() => logs(host.events).some(line => line.includes('late response')), 5000, 'late response log');
		expect(logs(host.events)).toContain(`host: late response for tag ${tag} dropped (its job already failed)`);
		await expect(host.agent.call('va.ping', ['after'])).resolves.toBe('after');
		expect(transitions(host.events)).toEqual([
			'client IDLE→SEND #1 va.slow',
			'client SEND→WAIT #1 va.slow',
			'client WAIT→IDLE #1 va.slow (timeout)',
			'client IDLE→SEND #2 va.ping',
			'client SEND→WAIT #2 va.ping',
			'client WAIT→IDLE #2 va.ping',
		]);
	});

	it('a handler that never answers gets fault -500 at the handler deadline, and frees the server slot', async () => {
		const {pair, host, guest} = await connectedPair({}, {handlerTimeoutMs: 100});
		guest.registry.register('va.never', 'never answers', async () => new Promise(() => {}));
		attachBoth(pair, host, guest);
		await expect(host.agent.call('va.never')).rejects.toMatchObject({name: 'RPCFailed', code: -500, faultString: 'va.never did not answer within 100ms'});
		expect(guest.agent.serverJobCount).toBe(0);
		await expect(host.agent.call('va.ping', ['next'])).resolves.toBe('next');
	});

	it('a response whose send makes no progress closes the channel as stuck (ECONNRESET), and nothing stays queued', async () => {
		const {pair, host, guest} = await connectedPair({}, {sendStallMs: 100});
		host.agent.attach(socketChannel(pair.a, 'host-end'));
		const held = heldChannel(socketChannel(pair.b, 'guest-end'));
		guest.agent.attach(held.channel);
		held.hold(); // The guest's next write (the first response) never completes.
		await expect(host.agent.call('va.ping', ['lost'], {timeoutMs: 2000})).rejects.toMatchObject({code: 'ECONNRESET'});
		expect(logs(guest.events)).toContain('guest: send made no progress for 100ms: the peer stopped reading; closing the channel');
		expect(jobs(guest.events)).toContain('server #1 va.ping sending→failed: ECONNRESET dropped: channel lost: stuck: send made no progress for 100ms');
		expect(transitions(guest.events)).toContain('server SEND→IDLE #1 va.ping (reset)');
		expect(guest.agent.connected).toBe(false);
		expect(guest.agent.serverJobCount).toBe(0);
	});

	it('cancels a job in flight and a queued one with ECANCELED; the late answer is dropped; the queue moves on', async () => {
		const {pair, host, guest} = await connectedPair();
		const release = slowMethod(guest, () => 'late');
		attachBoth(pair, host, guest);
		const inFlight = host.agent.call('va.slow');
		const queued = host.agent.call('va.ping', ['queued']);
		await waitFor(() => host.agent.clientState === 'WAIT');
		expect(host.agent.cancel(2)).toBe(true);
		await expect(queued).rejects.toMatchObject({code: 'ECANCELED', message: 'va.ping cancelled'});
		expect(host.agent.cancel(1)).toBe(true);
		await expect(inFlight).rejects.toMatchObject({code: 'ECANCELED'});
		expect(host.agent.cancel(1)).toBe(false); // Already gone.
		expect(host.agent.clientJobCount).toBe(0);
		release.open();
		await waitFor(() => logs(host.events).some(line => line.includes('late response')), 5000, 'the late answer dropped');
		await expect(host.agent.call('va.ping', ['after'])).resolves.toBe('after');
		expect(transitions(host.events)).toContain('client WAIT→IDLE #1 va.slow (cancelled)');
	});

	it('times out queued jobs behind a stuck one without sending them', async () => {
		const {pair, host, guest} = await connectedPair();
		guest.registry.register('va.never', 'never answers', async () => new Promise(() => {}));
		attachBoth(pair, host, guest);
		const stuck = host.agent.call('va.never', [], {timeoutMs: 300});
		const queued = host.agent.call('va.ping', [], {timeoutMs: 100});
		await expect(queued).rejects.toMatchObject({code: 'ETIMEDOUT'});
		await expect(stuck).rejects.toMatchObject({code: 'ETIMEDOUT'});
		expect(jobs(host.events)).toContain('client #2 va.ping queued→expired: ETIMEDOUT va.ping timed out after 100ms');
	});
});

describe('channel loss', () => {
	it('during SEND: the job fails with ECONNRESET and both machines go IDLE', async () => {
		const {pair, host} = await connectedPair();
		const held = heldChannel(socketChannel(pair.a, 'host-end'));
		host.agent.attach(held.channel);
		held.hold(); // Never opened: the request stays in SEND.
		const call = host.agent.call('va.ping');
		await waitFor(() => host.agent.clientState === 'SEND');
		pair.b.destroy();
		await expect(call).rejects.toMatchObject({code: 'ECONNRESET'});
		expect(transitions(host.events)).toEqual(['client IDLE→SEND #1 va.ping', 'client SEND→IDLE #1 va.ping (reset)']);
		expect(host.events.at(-1)).toMatchObject({type: 'channel', status: 'down'});
		expect(host.agent.connected).toBe(false);
		await expect(host.agent.call('va.ping')).rejects.toMatchObject({code: 'ENOTCONN'});
	});

	it('during WAIT: in-flight and queued jobs fail, server jobs are dropped', async () => {
		const {pair, host, guest} = await connectedPair();
		guest.registry.register('va.never', 'never answers', async () => new Promise(() => {}));
		attachBoth(pair, host, guest);
		const inFlight = host.agent.call('va.never');
		const queued = host.agent.call('va.ping');
		await waitFor(() => host.agent.clientState === 'WAIT' && guest.agent.serverJobCount === 1);
		pair.b.destroy();
		await expect(inFlight).rejects.toMatchObject({code: 'ECONNRESET'});
		await expect(queued).rejects.toMatchObject({code: 'ECONNRESET'});
		expect(transitions(host.events)).toEqual(['client IDLE→SEND #1 va.never', 'client SEND→WAIT #1 va.never', 'client WAIT→IDLE #1 va.never (reset)']);
		await waitFor(() => jobs(guest.events).some(line => line.includes('running→failed')));
		expect(guest.agent.serverJobCount).toBe(0);
	});

	it('a framing error fails pending jobs with EPROTO and the stream resyncs', async () => {
		const {pair, host} = await connectedPair();
		host.agent.attach(socketChannel(pair.a, 'host-end'));
		const call = host.agent.call('va.ping');
		await waitFor(() => host.agent.clientState === 'WAIT');
		pair.b.write(Buffer.from('\u00FFPOST /RPC2 HTTP/1.1\r\nContent-Length: banana\r\n\r\n', 'latin1'));
		await expect(call).rejects.toMatchObject({code: 'EPROTO'});
		expect(logs(host.events).some(line => line.includes('BAD_CONTENT_LENGTH'))).toBe(true);
		// Still attached; a valid request after the garbage is answered.
		pair.b.write(encodeFrame('request', 'x1', encodeCall('va.ping', ['still here'])));
		const decoder = new FrameDecoder();
		const answer = await new Promise<Buffer>(resolve => {
			pair.b.on('data', chunk => {
				for (const event of decoder.push(chunk)) {
					if (event.type === 'frame' && event.frame.kind === 'response' && event.frame.tag === 'x1') {
						resolve(event.frame.body);
					}
				}
			});
		});
		expect(await decodeResponse(answer)).toEqual({ok: true, value: 'still here'});
	});
});

describe('a real UNIX socket under load', () => {
	it('answers thousands of calls in both directions at once, each exactly once', async () => {
		const {pair, host, guest} = await connectedPair();
		const served = {host: new Map<string, number>(), guest: new Map<string, number>()};
		for (const [end, name] of [
			[host, 'host'],
			[guest, 'guest'],
		] as const) {
			end.registry.register('va.count', 'echo and count', params => {
				const key = params[0] as string;
				served[name].set(key, (served[name].get(key) ?? 0) + 1);
				return key;
			});
		}

		attachBoth(pair, host, guest);
		const total = 2000;
		const run = async (from: End, prefix: string) => {
			const results: string[] = [];
			const worker = async (lane: number) => {
				for (let n = lane; n < total; n += 5) {
					results.push((await from.agent.call('va.count', [`${prefix}${n}`], {timeoutMs: 20_000})) as string);
				}
			};

			await Promise.all([0, 1, 2, 3, 4].map(async lane => worker(lane)));
			return results;
		};

		const [fromHost, fromGuest] = await Promise.all([run(host, 'h'), run(guest, 'g')]);
		expect(new Set(fromHost).size).toBe(total);
		expect(new Set(fromGuest).size).toBe(total);
		expect(served.guest.size).toBe(total);
		expect(served.host.size).toBe(total);
		expect([...served.guest.values(), ...served.host.values()].every(count => count === 1)).toBe(true);
		// Server queue limit 1 and one client request in flight: nothing was ever refused.
		expect(
			logs(host.events)
				.concat(logs(guest.events))
				.filter(line => line.includes('refused')),
		).toEqual([]);
	});
});

describe('robustness', () => {
	it('a duplicate response is logged as an unknown tag and dropped; the engine goes on', async () => {
		const {pair, host, guest} = await connectedPair();
		attachBoth(pair, host, guest);
		// A response with the tag of the in-flight job is legal; a duplicate afterwards is only logged.
		const call = host.agent.call('va.ping', ['x']);
		await expect(call).resolves.toBe('x');
		const tag = host.events.find(event => event.type === 'job')!.tag!;
		pair.b.write(encodeFrame('response', tag, Buffer.from('<methodResponse/>')));
		await waitFor(() => logs(host.events).some(line => line.includes('unknown tag')));
		await expect(host.agent.call('va.ping', ['y'])).resolves.toBe('y');
	});

	it('rejects calls that cannot be encoded with EINVAL, at once', async () => {
		const {pair, host} = await connectedPair();
		host.agent.attach(socketChannel(pair.a, 'host-end'));
		await expect(host.agent.call('va.ping', [undefined as never])).rejects.toBeInstanceOf(VirtagentError);
		await expect(host.agent.call('va.ping', [undefined as never])).rejects.toMatchObject({code: 'EINVAL'});
		expect(host.agent.clientJobCount).toBe(0);
	});

	it('accepts an untagged (v5) response for the one request in flight', async () => {
		const {pair, host} = await connectedPair();
		host.agent.attach(socketChannel(pair.a, 'host-end'));
		const decoder = new FrameDecoder();
		pair.b.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type === 'frame') {
					// A v5 peer: no sentinel, no tag header.
					const body = Buffer.from(
						'<?xml version="1.0"?><methodResponse><params><param><value><string>dummy</string></value></param></params></methodResponse>',
					);
					pair.b.write(`HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: ${body.length}\r\n\r\n`);
					pair.b.write(body);
				}
			}
		});
		await expect(host.agent.call('va.ping')).resolves.toBe('dummy');
	});

	it('a closed agent refuses new calls and new channels', async () => {
		const {pair, host, guest} = await connectedPair();
		attachBoth(pair, host, guest);
		await host.agent.call('va.ping');
		host.agent.close();
		await expect(host.agent.call('va.ping')).rejects.toMatchObject({code: 'ENOTCONN'});
		expect(() => {
			host.agent.attach(socketChannel(new net.Socket(), 'x'));
		}).toThrow(/closed/);
	});
});
