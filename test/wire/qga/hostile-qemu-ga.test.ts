/**
 * The qemu-ga client against a fake agent that misbehaves, and for the commands the real agent
 * must never run on this machine (guest-shutdown, guest-exec).
 */
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {VirtagentError} from '../../../src/engine/errors.js';
import {connectEndpoint} from '../../../src/transport/endpoint.js';
import {QgaClient, type QgaClientOptions} from '../../helpers/qga-client.js';
import {QgaCommandError} from '../../../src/wire/qga/errors.js';
import {startFakeQemuGa, type FakeQemuGa} from '../../helpers/fake-qemu-ga.js';
import {tempDir} from '../../helpers/socket-pair.js';

let fake: FakeQemuGa;
let temp: ReturnType<typeof tempDir>;
let log: string[];

beforeEach(async () => {
	temp = tempDir('va-fakeqga-');
	fake = await startFakeQemuGa(path.join(temp.dir, 'qga.sock'));
	log = [];
});

afterEach(async () => {
	await fake.close();
	temp.remove();
});

async function connect(options: QgaClientOptions = {}): Promise<QgaClient> {
	return new QgaClient(await connectEndpoint({kind: 'unix', path: fake.path}), {timeoutMs: 2000, log: line => log.push(line), ...options});
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
	return promise.then(
		() => {
			throw new Error('expected a rejection');
		},
		(error: unknown) => error as Error,
	);
}

const sleep = async (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('a hostile qemu-ga', () => {
	it('a stale reply before the sync delimiter is discarded, even one carrying the next id', async () => {
		fake.override('guest-sync-delimited', (request, connection) => {
			connection.write('{"return": "stale", "id": 1}\n');
			connection.write(Buffer.concat([Buffer.of(0xff), Buffer.from(`{"return": ${String(request.arguments?.['id'])}}\n`)]));
		});
		const client = await connect();
		expect(await client.execute('guest-ping')).toEqual({});
		expect(client.counters.discarded).toBe(1);
		expect(log.join('\n')).toContain('before the sync delimiter: "{\\"return\\": \\"stale\\"');
		// The 0xFF that resets the agent's parser comes first, then the sync.
		expect(fake.received[0]![0]).toBe(0xff);
		expect(fake.requests.map(request => request.execute)).toEqual(['guest-sync-delimited', 'guest-ping']);
		client.close();
	});

	it('garbage and replies with foreign or missing ids are dropped, logged on one line, counted; the real reply still lands', async () => {
		fake.override('guest-ping', (request, connection) => {
			connection.write('not json at all \u001b[2J\n');
			connection.write(`{"return": {}, "id": 9999}\n{"return": "no id"}\n{"return": {}, "id": "1"}\n`);
			connection.reply(request, {});
		});
		const client = await connect();
		expect(await client.execute('guest-ping')).toEqual({});
		expect(client.counters).toMatchObject({garbageLines: 1, foreignReplies: 3});
		for (const line of log) {
			expect(line).not.toMatch(/[\n\u001b]/);
		}

		// Unparsable input: the next request starts with a new sync.
		fake.override('guest-ping', () => false);
		expect(await client.execute('guest-ping')).toEqual({});
		expect(client.counters.syncs).toBe(2);
		client.close();
	});

	it('a reply split across many writes is read whole', async () => {
		fake.override('guest-info', (request, connection) => {
			const bytes = Buffer.from(`${JSON.stringify({return: {version: 'split', supported_commands: []}, id: request.id})}\n`);
			void (async () => {
				for (const byte of bytes) {
					connection.write(Buffer.of(byte));
					await sleep(1);
				}
			})();
		});
		const client = await connect();
		expect(await client.execute('guest-info')).toEqual({version: 'split', supported_commands: []});
		client.close();
	});

	it('a 0xFF inside a reply cuts it; the call fails with EPROTO at once and the next call syncs', async () => {
		fake.override('guest-ping', (request, connection) => {
			connection.write(Buffer.concat([Buffer.from(`{"return": {}, "i`), Buffer.of(0xff), Buffer.from('d": 1}\n')]));
		});
		const client = await connect();
		const error = await rejection(client.execute('guest-ping'));
		expect((error as VirtagentError).code).toBe('EPROTO');
		fake.override('guest-ping', () => false);
		expect(await client.execute('guest-ping')).toEqual({});
		expect(client.counters.syncs).toBe(2);
		client.close();
	});

	it('a reply over the line limit is dropped without being held', async () => {
		fake.override('guest-file-read', (request, connection) => {
			connection.reply(request, {count: 3000, 'buf-b64': 'A'.repeat(4000), eof: false});
		});
		const client = await connect({lineMax: 1024});
		const error = await rejection(client.execute('guest-file-read', {handle: 1, count: 3000}));
		expect(error.message).toContain('over the line limit');
		expect((error as VirtagentError).code).toBe('EPROTO');
		client.close();
	});

	it('nesting deeper than 64 is refused as garbage', async () => {
		fake.override('guest-ping', (request, connection) => {
			connection.write(`{"return": ${'['.repeat(10_000)}${']'.repeat(10_000)}, "id": ${String(request.id)}}\n`);
		});
		const client = await connect({timeoutMs: 300});
		const error = await rejection(client.execute('guest-ping'));
		expect((error as VirtagentError).code).toBe('ETIMEDOUT');
		expect(client.counters.garbageLines).toBe(1);
		expect(log.join('\n')).toContain('deeper than 64');
		client.close();
	});

	it('silence times a call out; its late reply can never answer the next call', async () => {
		fake.override('guest-get-time', (request, connection) => {
			setTimeout(() => {
				connection.reply(request, 1);
			}, 400);
		});
		const client = await connect();
		const error = await rejection(client.execute('guest-get-time', undefined, {timeoutMs: 150}));
		expect((error as VirtagentError).code).toBe('ETIMEDOUT');
		fake.override('guest-get-time', (request, connection) => {
			setTimeout(() => {
				connection.reply(request, 2);
			}, 500);
		});
		expect(await client.execute('guest-get-time')).toBe(2);
		expect(client.counters.syncs).toBe(2);
		expect(client.counters.foreignReplies + client.counters.discarded).toBe(1);
		client.close();
	});

	it('an agent that never answers the sync is reported as held by another client within the timeout', async () => {
		fake.override('guest-sync-delimited', () => undefined);
		const client = await connect({timeoutMs: 300});
		const error = await rejection(client.execute('guest-ping'));
		expect(error.message).toContain('held by another client');
		expect(fake.requests.map(request => request.execute)).toEqual(['guest-sync-delimited']);
		client.close();
	});

	it('an agent that refuses the sync itself (blocked) is used without one, replies matched by id', async () => {
		fake.enabled.delete('guest-sync-delimited');
		const client = await connect({timeoutMs: 1000});
		expect(await client.execute('guest-ping')).toEqual({});
		expect(await client.execute('guest-ping')).toEqual({});
		expect(fake.requests.map(request => request.execute)).toEqual(['guest-sync-delimited', 'guest-ping', 'guest-ping']);
		expect(log.join('\n')).toContain('the agent refused guest-sync-delimited ("Command guest-sync-delimited has been disabled")');
		client.close();
	});

	it('the queue is bounded: one call over the limit fails at once with ENOBUFS', async () => {
		fake.override('guest-sync-delimited', () => undefined);
		const client = await connect({queueMax: 2, timeoutMs: 300});
		const queued = [client.execute('guest-ping'), client.execute('guest-ping')];
		const over = await rejection(client.execute('guest-ping'));
		expect((over as VirtagentError).code).toBe('ENOBUFS');
		await Promise.allSettled(queued);
		client.close();
	});
});

describe('commands the real agent must not run here', () => {
	it('guest-shutdown: no reply is success; silence and a closed channel are told apart', async () => {
		const client = await connect();
		expect(await client.executeNoReply('guest-shutdown', {mode: 'powerdown'}, 200)).toEqual({how: 'silence'});
		expect(fake.requests.at(-1)).toMatchObject({execute: 'guest-shutdown', arguments: {mode: 'powerdown'}});
		// The next request starts with a sync.
		expect(await client.execute('guest-ping')).toEqual({});
		expect(client.counters.syncs).toBe(2);

		fake.override('guest-shutdown', (_request, connection) => {
			setTimeout(() => {
				connection.close();
			}, 50);
		});
		expect(await client.executeNoReply('guest-shutdown', {mode: 'halt'}, 2000)).toEqual({how: 'closed'});
		expect(fake.requests.filter(request => request.execute === 'guest-shutdown').map(request => request.arguments?.['mode'])).toEqual(['powerdown', 'halt']);
	});

	it('guest-shutdown that the agent refuses rejects with its error', async () => {
		fake.enabled.delete('guest-shutdown');
		const client = await connect();
		const error = await rejection(client.executeNoReply('guest-shutdown', {mode: 'reboot'}, 2000));
		expect(error).toBeInstanceOf(QgaCommandError);
		expect((error as QgaCommandError).desc).toBe('Command guest-shutdown has been disabled');
		client.close();
	});

	it('guest-exec and guest-exec-status are sent as asked', async () => {
		const client = await connect();
		const {pid} = (await client.execute('guest-exec', {path: 'dmesg', 'capture-output': true})) as {pid: number};
		const status = (await client.execute('guest-exec-status', {pid})) as {exited: boolean; 'out-data': string};
		expect(status.exited).toBe(true);
		expect(Buffer.from(status['out-data'], 'base64').toString()).toContain('fake dmesg');
		expect(fake.requests.slice(1).map(request => [request.execute, request.arguments])).toEqual([
			['guest-exec', {path: 'dmesg', 'capture-output': true}],
			['guest-exec-status', {pid}],
		]);
		client.close();
	});
});
