/**
 * `--protocol auto` in the connection (docs/PROTOCOL.md §9) over real UNIX sockets: the probe's
 * states (each probe, the pause before the next, doubling to a cap), the stream handed to the
 * engine once a guest answered (qemu-ga, a virtagent guest), a stream that ends while probed (a
 * failed attempt, the protocol forgotten), and close() in the middle of a probe.
 */
import {afterEach, describe, expect, it} from 'vitest';
import {connectionFor, type DialOptions} from '../../src/monitor/connection.js';
import type {ConnectionState} from '../../src/monitor/session-api.js';
import {startFakeQemuGa} from '../helpers/fake-qemu-ga.js';
import {waitFor} from '../helpers/socket-pair.js';
import {startFakeGuest} from './helpers/fake-guest.js';
import {hostAgent, quietFor, record, runCleanups, socketPathIn, startQuietPeer, type Cleanups} from './helpers/connection-harness.js';

const cleanups: Cleanups = [];
afterEach(async () => runCleanups(cleanups));

type Detecting = Extract<ConnectionState, {state: 'detecting'}>;
const detecting = (states: ConnectionState[]): Detecting[] => states.filter((state): state is Detecting => state.state === 'detecting');

function dialAuto(socketPath: string, options: DialOptions = {}) {
	const agent = hostAgent(cleanups, 'auto');
	const connection = connectionFor({mode: 'connect', endpoint: {kind: 'unix', path: socketPath}}, agent, options);
	cleanups.push(async () => connection.close());
	return {agent, connection, recorder: record(connection, agent)};
}

describe('the connection with --protocol auto', () => {
	it('probes a qemu-ga, says what it found, and hands the stream to the engine speaking qemu-ga', async () => {
		const socketPath = socketPathIn(cleanups, 'va-detect-qga-');
		const fake = await startFakeQemuGa(socketPath);
		cleanups.push(async () => fake.close());
		const {agent, connection, recorder} = dialAuto(socketPath, {probeMinMs: 20, retryMinMs: 60_000});
		expect(connection.protocol).toBeUndefined();
		await connection.start();
		await recorder.waitForState('connected');
		const states = recorder.states();
		expect(recorder.phases()).toEqual(['detecting', 'connected']);
		expect(states[0]).toEqual({state: 'detecting', since: expect.any(Number) as number, probes: 1, nextInMs: 20});
		expect(states.at(-1)).toEqual({state: 'connected', since: recorder.channel[0]!.at});
		expect(connection.protocol).toBe('qga');
		const logs = recorder.logs();
		expect(logs).toHaveLength(1);
		expect(logs[0]!.level).toBe('info');
		expect(logs[0]!.message).toMatch(
			new RegExp(`^unix:${socketPath.replaceAll(/[.*+?^${}()|[\]\\]/gu, '\\$&')}: the guest speaks qemu-ga \\(guest-sync-delimited answered, \\d+ms\\)$`, 'u'),
		);
		// The engine has the stream and speaks qemu-ga on it.
		await expect(agent.call('guest-ping', [])).resolves.toEqual({});
		expect(fake.requests.map(request => request.execute)).toContain('guest-ping');

		// The stream ends: what the next one speaks is unknown until it is probed.
		fake.dropConnections();
		await recorder.waitForState('retrying');
		expect(connection.protocol).toBeUndefined();
	});

	it('recognises a virtagent guest by its va.hello', async () => {
		const socketPath = socketPathIn(cleanups, 'va-detect-virtagent-');
		const guest = await startFakeGuest({socketPath});
		cleanups.push(async () => guest.close());
		const {connection, recorder} = dialAuto(socketPath, {probeMinMs: 20});
		await connection.start();
		await recorder.waitForState('connected');
		expect(connection.protocol).toBe('virtagent');
		expect(recorder.logs().map(log => log.message.replace(/ \d+ms\)$/u, ' Nms)'))).toEqual([
			`unix:${socketPath}: the guest speaks virtagent (a virtagent request (va.hello), Nms)`,
		]);
	});

	it('keeps probing a silent guest, the pause doubling from probeMinMs to probeMaxMs; its end is a failed attempt', async () => {
		const socketPath = socketPathIn(cleanups, 'va-detect-silent-');
		const peer = await startQuietPeer(socketPath);
		cleanups.push(async () => peer.close());
		const {connection, recorder} = dialAuto(socketPath, {probeMinMs: 10, probeMaxMs: 40, retryMinMs: 60_000, retryMaxMs: 60_000});
		await connection.start();
		await waitFor(() => detecting(recorder.states()).length >= 5, 10_000, 'five probes');
		const probes = detecting(recorder.states()).slice(0, 5);
		expect(probes.map(probe => [probe.probes, probe.nextInMs])).toEqual([
			[1, 10],
			[2, 20],
			[3, 40],
			[4, 40],
			[5, 40],
		]);
		// One probing of one stream: the same start throughout.
		expect(new Set(probes.map(probe => probe.since)).size).toBe(1);
		expect(recorder.channel).toEqual([]);

		// The guest hangs up (an orderly end: a reset would be reported with its own reason).
		peer.sockets[0]!.end();
		await recorder.waitForState('retrying');
		expect(recorder.states().at(-1)).toEqual({state: 'retrying', attempt: 1, inMs: 60_000, reason: 'stream closed'});
		expect(connection.protocol).toBeUndefined();
	});

	it('probes after 250 ms by default, and at most every 5 s', async () => {
		const socketPath = socketPathIn(cleanups, 'va-detect-defaults-');
		const peer = await startQuietPeer(socketPath);
		cleanups.push(async () => peer.close());
		const first = dialAuto(socketPath);
		await first.connection.start();
		await first.recorder.waitForState('detecting');
		expect(detecting(first.recorder.states())[0]).toMatchObject({probes: 1, nextInMs: 250});

		const capped = dialAuto(socketPath, {probeMinMs: 6000});
		await capped.connection.start();
		await capped.recorder.waitForState('detecting');
		expect(detecting(capped.recorder.states())[0]).toMatchObject({probes: 1, nextInMs: 5000});
	});

	it('a stream that ends while probed, after one that lasted, is still a failed attempt', async () => {
		const socketPath = socketPathIn(cleanups, 'va-detect-after-good-');
		const fake = await startFakeQemuGa(socketPath);
		const {connection, recorder} = dialAuto(socketPath, {probeMinMs: 20, retryMinMs: 20, retryMaxMs: 1000, stableMs: 100});
		await connection.start();
		await recorder.waitForState('connected');
		const upAt = recorder.channel.at(-1)!.at;
		await waitFor(() => Date.now() - upAt >= 150, 5000, 'longer than stableMs');
		await fake.close(); // A good connection ends: the back-off restarts at 1.

		// Then every stream ends before anything answered its probe.
		const hangUp = await startQuietPeer(socketPath, socket => setImmediate(() => socket.destroy()));
		cleanups.push(async () => hangUp.close());
		const attempts = () =>
			recorder
				.states()
				.filter((state): state is Extract<ConnectionState, {state: 'retrying'}> => state.state === 'retrying')
				.map(retry => retry.attempt);
		await waitFor(() => hangUp.closed >= 2 && attempts().length >= 3, 10_000, 'two streams ended while probed');
		// The first retry follows the good connection; ENOENT ones (before the peer listened) and
		// the streams that ended while probed each count, one more every time.
		const sequence = attempts();
		expect(sequence[0]).toBe(1);
		expect(sequence).toEqual(sequence.map((_attempt, index) => index + 1));
	});

	it('close() in the middle of a probe hangs up the probed stream and never retries', async () => {
		const socketPath = socketPathIn(cleanups, 'va-detect-close-');
		const peer = await startQuietPeer(socketPath);
		cleanups.push(async () => peer.close());
		const {connection, recorder} = dialAuto(socketPath, {probeMinMs: 10, retryMinMs: 10});
		await connection.start();
		await waitFor(() => detecting(recorder.states()).length >= 2, 10_000, 'two probes');
		const mark = recorder.states().length;
		await connection.close();
		await waitFor(() => peer.closed === 1, 10_000, 'the probed stream hung up');
		const probed = peer.received[0]!.length;
		await quietFor(200); // Twenty probe and retry periods.
		expect(recorder.states().slice(mark)).toEqual([{state: 'disconnected', reason: 'monitor closed'}]);
		expect(peer.sockets).toHaveLength(1);
		expect(peer.received[0]!.length).toBe(probed);
		expect(recorder.channel).toEqual([]);
	});

	it('a stream reset mid-probe is retried with the reset as the reason', async () => {
		const socketPath = socketPathIn(cleanups, 'va-detect-reset-');
		const peer = await startQuietPeer(socketPath, () => undefined, {unread: true});
		cleanups.push(async () => peer.close());
		const {connection, recorder} = dialAuto(socketPath, {probeMinMs: 60_000, retryMinMs: 60_000, retryMaxMs: 60_000});
		await connection.start();
		// The first probe is written before the state says so: it sits unread in the peer's socket.
		await recorder.waitForState('detecting', () => peer.sockets.length === 1);
		peer.sockets[0]!.destroy();
		await recorder.waitForState('retrying');
		expect(recorder.states().at(-1)).toEqual({state: 'retrying', attempt: 1, inMs: 60_000, reason: 'read ECONNRESET'});
	});

	it('with stableMs 0 no stream is too short, so streams that end mid-probe never grow the back-off', async () => {
		const socketPath = socketPathIn(cleanups, 'va-detect-stable-zero-');
		const hangUp = await startQuietPeer(socketPath, socket => setImmediate(() => socket.end()));
		cleanups.push(async () => hangUp.close());
		const {connection, recorder} = dialAuto(socketPath, {probeMinMs: 60_000, retryMinMs: 10, stableMs: 0});
		await connection.start();
		const attempts = () =>
			recorder
				.states()
				.filter((state): state is Extract<ConnectionState, {state: 'retrying'}> => state.state === 'retrying')
				.map(retry => [retry.attempt, retry.inMs]);
		await waitFor(() => attempts().length >= 3, 10_000, 'three streams ended mid-probe');
		expect(attempts().slice(0, 3)).toEqual([
			[1, 10],
			[1, 10],
			[1, 10],
		]);
	});
});
