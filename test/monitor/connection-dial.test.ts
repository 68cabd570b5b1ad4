/**
 * The dialling connection (`--connect`) over real UNIX sockets, without a Session: the exact
 * back-off (each retry's attempt, delay and reason), its defaults and its cap, what resets it and
 * what does not (a refusal, a stream that ends at once), and what close() stops.
 */
import {afterEach, describe, expect, it} from 'vitest';
import {connectionFor, retryDelay} from '../../src/monitor/connection.js';
import type {ConnectionState} from '../../src/monitor/session-api.js';
import {waitFor} from '../helpers/socket-pair.js';
import {startFakeGuest} from './helpers/fake-guest.js';
import {hostAgent, quietFor, record, runCleanups, socketPathIn, startQuietPeer, type Cleanups} from './helpers/connection-harness.js';

const cleanups: Cleanups = [];
afterEach(async () => runCleanups(cleanups));

type Retry = Extract<ConnectionState, {state: 'retrying'}>;
const retries = (states: ConnectionState[]): Array<[number, number, string]> =>
	states.filter((state): state is Retry => state.state === 'retrying').map(retry => [retry.attempt, retry.inMs, retry.reason]);

function dial(socketPath: string, options: Parameters<typeof connectionFor>[2] = {}) {
	const agent = hostAgent(cleanups);
	const connection = connectionFor({mode: 'connect', endpoint: {kind: 'unix', path: socketPath}}, agent, options);
	cleanups.push(async () => connection.close());
	return {agent, connection, recorder: record(connection, agent)};
}

describe('retryDelay', () => {
	it('doubles from the minimum with each attempt and stops at the maximum', () => {
		expect([1, 2, 3, 4, 5, 6, 7, 40].map(attempt => retryDelay(attempt, 250, 5000))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
		// An attempt below 1 never shrinks the delay under the minimum.
		expect([0, -3].map(attempt => retryDelay(attempt, 250, 5000))).toEqual([250, 250]);
		expect(retryDelay(3, 100, 150)).toBe(150);
	});
});

describe('the dialling connection', () => {
	it('is named after its endpoint and starts "connecting"', () => {
		const socketPath = socketPathIn(cleanups, 'va-dial-name-');
		const {connection} = dial(socketPath);
		expect(connection.label).toBe(`unix:${socketPath}`);
		expect(connection.state).toEqual({state: 'connecting'});
		expect(connection.protocol).toBe('virtagent');
	});

	it('backs off exactly: doubling from retryMinMs, capped at retryMaxMs, each failure reported with the OS error', async () => {
		const socketPath = socketPathIn(cleanups, 'va-dial-backoff-');
		const {connection, recorder} = dial(socketPath, {retryMinMs: 10, retryMaxMs: 40});
		await connection.start();
		await waitFor(() => retries(recorder.states()).length >= 5, 10_000, 'five failed attempts');
		const reason = `connect ENOENT ${socketPath}`;
		expect(retries(recorder.states()).slice(0, 5)).toEqual([
			[1, 10, reason],
			[2, 20, reason],
			[3, 40, reason],
			[4, 40, reason],
			[5, 40, reason],
		]);
		expect(recorder.logs()).toEqual([]);
	});

	it('defaults to a first retry after 250 ms', async () => {
		const socketPath = socketPathIn(cleanups, 'va-dial-default-min-');
		const {connection, recorder} = dial(socketPath);
		await connection.start();
		await recorder.waitForState('retrying');
		expect(retries(recorder.states())).toEqual([[1, 250, `connect ENOENT ${socketPath}`]]);
	});

	it('defaults to a cap of 5 s', async () => {
		const socketPath = socketPathIn(cleanups, 'va-dial-default-max-');
		const {connection, recorder} = dial(socketPath, {retryMinMs: 6000});
		await connection.start();
		await recorder.waitForState('retrying');
		expect(retries(recorder.states())).toEqual([[1, 5000, `connect ENOENT ${socketPath}`]]);
	});

	it('goes "connected" at the moment the agent reports the stream up', async () => {
		const socketPath = socketPathIn(cleanups, 'va-dial-up-');
		const peer = await startQuietPeer(socketPath);
		cleanups.push(async () => peer.close());
		const {connection, recorder} = dial(socketPath);
		await connection.start();
		await recorder.waitForState('connected');
		expect(recorder.channel).toHaveLength(1);
		expect(recorder.states()).toEqual([{state: 'connected', since: recorder.channel[0]!.at}]);
	});

	it('by default, a stream that ends at once keeps the back-off growing and one that lasted 1 s resets it', async () => {
		const socketPath = socketPathIn(cleanups, 'va-dial-stable-');
		const {connection, recorder} = dial(socketPath, {retryMinMs: 20});
		await connection.start();
		await waitFor(() => retries(recorder.states()).length >= 2, 10_000, 'two failed attempts');
		const failed = retries(recorder.states()).length;

		// A peer that hangs up as soon as it has accepted: a failed attempt.
		const hangUp = await startQuietPeer(socketPath, socket => socket.destroy());
		await waitFor(() => hangUp.closed >= 1 && retries(recorder.states()).length > failed + 1, 10_000, 'the short stream and the next retry');
		await hangUp.close();
		const afterShort = retries(recorder.states())[failed]!;
		expect(afterShort[0]).toBe(failed + 1);
		expect(afterShort[2]).toBe('stream closed');

		// A peer that stays 1.1 s (the default stableMs is 1 s), then hangs up: a good connection.
		const steady = await startQuietPeer(socketPath);
		cleanups.push(async () => steady.close());
		await recorder.waitForState('connected', () => steady.sockets.length === 1 && recorder.channel.at(-1)?.status === 'up');
		const upAt = recorder.channel.at(-1)!.at;
		await waitFor(() => Date.now() - upAt >= 1100, 5000, '1.1 s of connection');
		const before = recorder.states().length;
		steady.sockets[0]!.end();
		await waitFor(() => retries(recorder.states().slice(before)).length >= 1, 10_000, 'the retry after the good connection');
		expect(retries(recorder.states().slice(before))[0]).toEqual([1, 20, 'stream closed']);
	});

	it('a refusal counts as a failure however long the stream lasted; the next good connection resets the back-off', async () => {
		const socketPath = socketPathIn(cleanups, 'va-dial-refused-');
		const {connection, recorder} = dial(socketPath, {retryMinMs: 20, retryMaxMs: 1000, stableMs: 100});
		await connection.start();
		await waitFor(() => retries(recorder.states()).length >= 2, 10_000, 'two failed attempts');
		const guest = await startFakeGuest({socketPath});
		cleanups.push(async () => guest.close());
		await recorder.waitForState('connected');
		const failed = retries(recorder.states()).length;
		const upAt = recorder.channel.at(-1)!.at;
		await waitFor(() => Date.now() - upAt >= 150, 5000, 'longer than stableMs');

		let mark = recorder.events.length;
		connection.refused('another host is connected');
		await recorder.waitForState('retrying');
		expect(recorder.events.slice(mark)).toEqual([
			{type: 'log', level: 'warn', message: `unix:${socketPath}: the guest turned this monitor away: another host is connected`},
			{type: 'state', state: {state: 'retrying', attempt: failed + 1, inMs: Math.min(1000, 20 * 2 ** failed), reason: 'another host is connected'}},
		]);
		// The monitor hung up itself (the guest waits for that).
		expect(recorder.channel.at(-1)).toMatchObject({status: 'down', reason: 'another host is connected'});

		// The guest takes the next attempt; this time the connection lasts, then the guest leaves.
		await recorder.waitForState('connected');
		const secondUpAt = recorder.channel.at(-1)!.at;
		await waitFor(() => Date.now() - secondUpAt >= 150, 5000, 'longer than stableMs');
		mark = recorder.states().length;
		await guest.close();
		await waitFor(() => retries(recorder.states().slice(mark)).length >= 1, 10_000, 'the retry after the guest left');
		// The refusal is forgotten: a plain end of stream, and the back-off starts afresh.
		expect(retries(recorder.states().slice(mark))[0]).toEqual([1, 20, 'stream closed']);
	});

	it('close() hangs up a connected stream, says "disconnected" once and nothing after; a second close() is silent', async () => {
		const socketPath = socketPathIn(cleanups, 'va-dial-close-');
		const peer = await startQuietPeer(socketPath);
		cleanups.push(async () => peer.close());
		const {connection, recorder} = dial(socketPath, {retryMinMs: 10});
		await connection.start();
		await recorder.waitForState('connected');
		const mark = recorder.events.length;
		await connection.close();
		await waitFor(() => peer.closed === 1, 10_000, 'the peer saw the monitor hang up');
		await connection.close();
		await quietFor(100); // Ten retry periods: nothing may follow.
		expect(recorder.events.slice(mark)).toEqual([{type: 'state', state: {state: 'disconnected', reason: 'monitor closed'}}]);
		expect(connection.state).toEqual({state: 'disconnected', reason: 'monitor closed'});
		expect(recorder.channel.map(event => [event.status, event.reason])).toEqual([
			['up', undefined],
			['down', 'monitor closed'],
		]);
		expect(peer.sockets).toHaveLength(1);
	});

	it('close() while waiting to retry cancels the retry', async () => {
		const socketPath = socketPathIn(cleanups, 'va-dial-close-retrying-');
		const {connection, recorder} = dial(socketPath, {retryMinMs: 50});
		await connection.start();
		await recorder.waitForState('retrying');
		await connection.close();
		// A peer now, where the cancelled retry would have dialled 50 ms after the failure.
		const peer = await startQuietPeer(socketPath);
		cleanups.push(async () => peer.close());
		await quietFor(400);
		expect(peer.sockets).toHaveLength(0);
		expect(recorder.states().map(state => state.state)).toEqual(['retrying', 'disconnected']);
	});

	it('close() during a dial that then succeeds hangs up that stream without attaching it', async () => {
		const socketPath = socketPathIn(cleanups, 'va-dial-close-dialling-');
		const peer = await startQuietPeer(socketPath);
		cleanups.push(async () => peer.close());
		const {connection, recorder} = dial(socketPath, {retryMinMs: 10});
		await connection.start(); // The dial is under way…
		await connection.close(); // …and the monitor closes before it completes.
		await waitFor(() => peer.sockets.length === 1 && peer.closed === 1, 10_000, 'the late stream hung up');
		expect(recorder.channel).toEqual([]);
		expect(recorder.states()).toEqual([{state: 'disconnected', reason: 'monitor closed'}]);
	});

	it('close() during a dial that then fails does not retry', async () => {
		const socketPath = socketPathIn(cleanups, 'va-dial-close-failing-');
		const {connection, recorder} = dial(socketPath, {retryMinMs: 10});
		await connection.start();
		await connection.close();
		const peer = await startQuietPeer(socketPath);
		cleanups.push(async () => peer.close());
		await quietFor(200);
		expect(recorder.states()).toEqual([{state: 'disconnected', reason: 'monitor closed'}]);
		expect(peer.sockets).toHaveLength(0);
	});

	it('a listener that unsubscribed hears nothing more', async () => {
		const socketPath = socketPathIn(cleanups, 'va-dial-unsubscribe-');
		const {connection, recorder} = dial(socketPath, {retryMinMs: 10});
		const heard: string[] = [];
		const unsubscribe = connection.subscribe(event => heard.push(event.type === 'state' ? event.state.state : event.message));
		await connection.start();
		await recorder.waitForState('retrying');
		unsubscribe();
		const count = heard.length;
		await waitFor(() => retries(recorder.states()).length >= 3, 10_000, 'two more attempts');
		expect(count).toBeGreaterThan(0);
		expect(heard).toHaveLength(count);
	});
});
