/**
 * The listening connection (`--listen`, `--tcp` with listen) and the held one (a stream the
 * caller already has) over real sockets: labels, one guest at a time, back to listening when it
 * leaves, a stream ended without reconnecting, and what close() hangs up and releases.
 */
import net from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {connectionFor, heldConnection, type Connection, type DialOptions} from '../../src/monitor/connection.js';
import {Agent} from '../../src/engine/agent.js';
import {MethodRegistry} from '../../src/engine/registry.js';
import type {SocketEndpoint} from '../../src/transport/endpoint.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import {startFakeQemuGa} from '../helpers/fake-qemu-ga.js';
import {socketPair} from '../helpers/socket-pair.js';
import {startFakeGuest} from './helpers/fake-guest.js';
import {hostAgent, record, runCleanups, socketPathIn, type Cleanups} from './helpers/connection-harness.js';
import type {ProtocolChoice} from '../../src/monitor/qga/protocol-switch.js';

const cleanups: Cleanups = [];
afterEach(async () => runCleanups(cleanups));

function listen(endpoint: SocketEndpoint, protocol: ProtocolChoice = 'virtagent', options: DialOptions = {}) {
	const agent = hostAgent(cleanups, protocol);
	const connection = connectionFor({mode: 'listen', endpoint}, agent, options);
	cleanups.push(async () => connection.close());
	return {agent, connection, recorder: record(connection, agent)};
}

type Dialler = {readonly socket: net.Socket; readonly closed: Promise<void>; readonly localPort: number | undefined};

/** A guest that dials in and says nothing; `closed` resolves when its socket closes. */
async function dialIn(options: net.NetConnectOpts): Promise<Dialler> {
	const socket = net.connect(options);
	socket.on('error', () => undefined);
	const closed = new Promise<void>(resolve => socket.once('close', () => resolve()));
	await new Promise<void>((resolve, reject) => {
		socket.once('connect', resolve);
		socket.once('error', reject);
	});
	cleanups.push(() => {
		socket.destroy();
	});
	return {socket, closed, localPort: socket.localPort};
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_resolve, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
	});
	try {
		return await Promise.race([promise, timeout]);
	} finally {
		clearTimeout(timer);
	}
}

describe('the listening connection', () => {
	it('on TCP port 0 takes the port it was given as its label, and listens', async () => {
		const {connection, recorder} = listen({kind: 'tcp', host: '127.0.0.1', port: 0});
		expect(connection.label).toBe('tcp:127.0.0.1:0');
		expect(connection.state).toEqual({state: 'listening'});
		await connection.start();
		expect(connection.label).toMatch(/^tcp:127\.0\.0\.1:[1-9]\d*$/u);
		expect(recorder.states()).toEqual([{state: 'listening'}]);
	});

	it('takes one guest at a time: a second is turned away and hung up; when the first leaves, it listens again', async () => {
		const {connection, recorder} = listen({kind: 'tcp', host: '127.0.0.1', port: 0});
		await connection.start();
		const port = Number(connection.label.split(':').at(-1));
		const first = await dialIn({host: '127.0.0.1', port});
		await recorder.waitForState('connected');
		expect(recorder.channel.at(-1)).toMatchObject({status: 'up'});
		expect(recorder.states().at(-1)).toEqual({state: 'connected', since: recorder.channel.at(-1)!.at});

		const second = await dialIn({host: '127.0.0.1', port});
		await within(second.closed, 10_000, 'the second guest hung up');
		expect(recorder.logs()).toEqual([
			{level: 'warn', message: `refused a second connection on tcp:127.0.0.1:${second.localPort}: a guest is already connected`},
		]);
		expect(connection.state.state).toBe('connected');

		first.socket.end();
		await recorder.waitForState('listening');
		expect(recorder.states().map(state => state.state)).toEqual(['listening', 'connected', 'listening']);
		await dialIn({host: '127.0.0.1', port});
		await recorder.waitForState('connected');
		expect(recorder.logs()).toHaveLength(1);
	});

	it('close() hangs up the guest first, so it never waits for the guest to leave', async () => {
		const socketPath = socketPathIn(cleanups, 'va-listen-close-');
		const {connection, recorder} = listen({kind: 'unix', path: socketPath});
		await connection.start();
		expect(connection.label).toBe(`unix:${socketPath}`);
		const guest = await dialIn({path: socketPath});
		await recorder.waitForState('connected');
		const mark = recorder.states().length;
		await within(connection.close(), 10_000, 'close() with a guest that stays');
		await within(guest.closed, 10_000, 'the guest hung up');
		expect(recorder.states().slice(mark)).toEqual([{state: 'disconnected', reason: 'monitor closed'}]);
		// Nobody listens any more.
		await expect(dialIn({path: socketPath})).rejects.toThrow(/ENOENT|ECONNREFUSED/u);
	});

	it('a live socket at the path is an error for start()', async () => {
		const socketPath = socketPathIn(cleanups, 'va-listen-busy-');
		const first = listen({kind: 'unix', path: socketPath});
		await first.connection.start();
		const second = listen({kind: 'unix', path: socketPath});
		await expect(second.connection.start()).rejects.toThrow(`${socketPath}: another process is listening there`);
		expect(second.recorder.states()).toEqual([]);
	});

	it('close() before start() just says "disconnected"', async () => {
		const socketPath = socketPathIn(cleanups, 'va-listen-unstarted-');
		const {connection, recorder} = listen({kind: 'unix', path: socketPath});
		await connection.close();
		expect(recorder.states()).toEqual([{state: 'disconnected', reason: 'monitor closed'}]);
	});

	it('with --protocol auto, probes each guest that dials in; one that leaves mid-probe leaves it listening', async () => {
		const socketPath = socketPathIn(cleanups, 'va-listen-auto-');
		const {connection, recorder} = listen({kind: 'unix', path: socketPath}, 'auto', {probeMinMs: 10});
		await connection.start();
		const silent = await dialIn({path: socketPath});
		await recorder.waitForState('detecting');
		// While probing, the guest is there: a second is turned away.
		const second = await dialIn({path: socketPath});
		await within(second.closed, 10_000, 'the second guest hung up');
		silent.socket.end();
		await recorder.waitForState('listening', () => recorder.states().length > 2);
		expect(recorder.channel).toEqual([]);

		const guest = await startFakeGuest({socketPath, dial: true});
		cleanups.push(async () => guest.close());
		await recorder.waitForState('connected');
		expect(connection.protocol).toBe('virtagent');
		expect(recorder.phases()).toEqual(['listening', 'detecting', 'listening', 'detecting', 'connected']);
	});
});

describe('the held connection', () => {
	async function held(protocol: ProtocolChoice = 'virtagent', options: DialOptions = {}) {
		const pair = await socketPair();
		cleanups.push(() => {
			pair.close();
		});
		const peerClosed = new Promise<void>(resolve => pair.b.once('close', () => resolve()));
		pair.b.on('error', () => undefined);
		const agent = hostAgent(cleanups, protocol);
		const connection: Connection = heldConnection(agent, socketChannel(pair.a, 'held:pair'), options);
		cleanups.push(async () => connection.close());
		return {pair, peerClosed, agent, connection, recorder: record(connection, agent)};
	}

	it('runs over the stream it was given and ends with it, never reconnecting', async () => {
		const {pair, connection, recorder} = await held();
		expect(connection.label).toBe('held:pair');
		expect(connection.state).toEqual({state: 'connecting'});
		await connection.start();
		expect(recorder.states()).toEqual([{state: 'connected', since: recorder.channel[0]!.at}]);
		pair.b.end();
		await recorder.waitForState('disconnected');
		expect(recorder.states().slice(1)).toEqual([{state: 'disconnected', reason: 'stream closed'}]);
	});

	it('an end the agent gives a reason for is disconnected with that reason', async () => {
		const {agent, connection, recorder} = await held();
		await connection.start();
		await recorder.waitForState('connected');
		agent.detach('the operator detached');
		expect(recorder.states().at(-1)).toEqual({state: 'disconnected', reason: 'the operator detached'});
	});

	it('works over an agent whose protocol is fixed (no protocol switch)', async () => {
		const pair = await socketPair();
		cleanups.push(() => {
			pair.close();
		});
		const agent = new Agent({name: 'host', registry: new MethodRegistry()});
		cleanups.push(() => {
			agent.close();
		});
		const connection = heldConnection(agent, socketChannel(pair.a, 'held:fixed'));
		cleanups.push(async () => connection.close());
		const recorder = record(connection, agent);
		await connection.start();
		expect(recorder.states()).toEqual([{state: 'connected', since: recorder.channel[0]!.at}]);
		// Built without a switch, it speaks its one protocol, whatever happens to the stream.
		expect(connection.protocol).toBe('virtagent');
		pair.b.end();
		await recorder.waitForState('disconnected');
		expect(recorder.states().at(-1)).toEqual({state: 'disconnected', reason: 'stream closed'});
		expect(connection.protocol).toBe('virtagent');
	});

	it('close() hangs up the stream even if it was never started', async () => {
		const {peerClosed, connection, recorder} = await held();
		await connection.close();
		await within(peerClosed, 10_000, 'the peer saw the stream hung up');
		expect(recorder.states()).toEqual([{state: 'disconnected', reason: 'monitor closed'}]);
		expect(recorder.channel).toEqual([]);
	});

	it('with --protocol auto, probes the stream: qemu-ga found, then its end is the end', async () => {
		const socketPath = socketPathIn(cleanups, 'va-held-qga-');
		const fake = await startFakeQemuGa(socketPath);
		cleanups.push(async () => fake.close());
		const socket = net.connect(socketPath);
		await new Promise<void>(resolve => socket.once('connect', resolve));
		const agent = hostAgent(cleanups, 'auto');
		const connection = heldConnection(agent, socketChannel(socket, 'held:qga'), {probeMinMs: 10});
		cleanups.push(async () => connection.close());
		const recorder = record(connection, agent);
		await connection.start();
		await recorder.waitForState('connected');
		expect(connection.protocol).toBe('qga');
		expect(recorder.phases()).toEqual(['detecting', 'connected']);
		expect(recorder.logs().map(log => log.message)).toEqual([expect.stringMatching(/^held:qga: the guest speaks qemu-ga \(guest-sync-delimited answered, /u)]);
		fake.dropConnections();
		await recorder.waitForState('disconnected');
		expect(recorder.states().at(-1)).toEqual({state: 'disconnected', reason: 'stream closed'});
		expect(recorder.phases()).toEqual(['detecting', 'connected', 'disconnected']);
		expect(connection.protocol).toBeUndefined();
	});

	it('with --protocol auto, a stream that ends mid-probe is disconnected with its reason', async () => {
		const {pair, connection, recorder} = await held('auto', {probeMinMs: 10});
		await connection.start();
		await recorder.waitForState('detecting');
		pair.b.end();
		await recorder.waitForState('disconnected');
		expect(recorder.states().at(-1)).toEqual({state: 'disconnected', reason: 'stream closed'});
		expect(recorder.channel).toEqual([]);
	});
});

describe('the listening connection closed while it starts', () => {
	it('does not listen after close(), and stays "disconnected"', async () => {
		const socketPath = socketPathIn(cleanups, 'va-listen-close-starting-');
		const {connection, recorder} = listen({kind: 'unix', path: socketPath});
		const starting = connection.start();
		await connection.close();
		await starting.catch(() => undefined);
		expect(connection.state).toEqual({state: 'disconnected', reason: 'monitor closed'});
		expect(recorder.states()).toEqual([{state: 'disconnected', reason: 'monitor closed'}]);
		await expect(dialIn({path: socketPath})).rejects.toThrow(/ENOENT|ECONNREFUSED/u);
	});
});
