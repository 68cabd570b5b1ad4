/**
 * The qemu-ga client against the REAL qemu-ga on this machine, started with the block list of
 * docs/QGA.md and checked with guest-info before each use (test/helpers/real-qemu-ga.ts).
 */
import {writeFileSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {VirtagentError} from '../../../src/engine/errors.js';
import {connectEndpoint} from '../../../src/transport/endpoint.js';
import {QgaClient} from '../../helpers/qga-client.js';
import {QgaCommandError} from '../../../src/wire/qga/errors.js';
import {startRealQemuGa, type RealQemuGa} from '../../helpers/real-qemu-ga.js';
import {tempDir} from '../../helpers/socket-pair.js';

let agent: RealQemuGa;
const temp = tempDir('va-qga-');

beforeAll(async () => {
	agent = await startRealQemuGa(temp.dir);
});

afterAll(async () => {
	await agent?.stop();
	temp.remove();
});

async function connect(options: ConstructorParameters<typeof QgaClient>[1] = {}): Promise<QgaClient> {
	return new QgaClient(await connectEndpoint({kind: 'unix', path: agent.path}), {timeoutMs: 3000, ...options});
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
	return promise.then(
		() => {
			throw new Error('expected a rejection');
		},
		(error: unknown) => error as Error,
	);
}

describe('real qemu-ga', () => {
	it('answers the allowed commands, and syncs once before the first', async () => {
		const client = await connect();
		try {
			expect(await client.execute('guest-ping')).toEqual({});
			expect(client.counters.syncs).toBe(1);
			const info = (await client.execute('guest-info')) as {version: string; supported_commands: Array<{name: string; enabled: boolean}>};
			expect(info.version).toBe(agent.version);
			expect(info.supported_commands.find(command => command.name === 'guest-exec')?.enabled).toBe(false);
			expect(((await client.execute('guest-get-osinfo')) as Record<string, unknown>)['machine']).toBeTypeOf('string');
			expect(((await client.execute('guest-get-host-name')) as Record<string, unknown>)['host-name']).toBeTypeOf('string');
			expect(await client.execute('guest-get-time')).toBeTypeOf('number');
			expect(await client.execute('guest-sync', {id: 99})).toBe(99);
			expect(client.counters).toEqual({foreignReplies: 0, garbageLines: 0, discarded: 0, syncs: 1});
		} finally {
			client.close();
		}
	});

	it('reads a file in chunks, several reads in flight, and closes the handle', async () => {
		const data = Buffer.from(Array.from({length: 100_000}, (_, index) => index % 251));
		const file = path.join(temp.dir, 'data.bin');
		writeFileSync(file, data);
		const client = await connect();
		try {
			const handle = (await client.execute('guest-file-open', {path: file, mode: 'r'})) as number;
			const reads = Array.from({length: 4}, async () => client.execute('guest-file-read', {handle, count: 30_000}));
			const parts = (await Promise.all(reads)) as Array<{count: number; 'buf-b64': string; eof: boolean}>;
			expect(parts.map(part => part.count)).toEqual([30_000, 30_000, 30_000, 10_000]);
			expect(Buffer.concat(parts.map(part => Buffer.from(part['buf-b64'], 'base64')))).toEqual(data);
			expect(await client.execute('guest-file-close', {handle})).toEqual({});
			const closed = await rejection(client.execute('guest-file-read', {handle, count: 1}));
			expect(closed).toBeInstanceOf(QgaCommandError);
			expect((closed as QgaCommandError).desc).toBe(`handle '${handle}' has not been found`);
		} finally {
			client.close();
		}
	});

	it('turns every error class into QgaCommandError, and an error reply needs no sync', async () => {
		const client = await connect();
		try {
			const cases: Array<[string, Record<string, unknown> | undefined, string, RegExp]> = [
				['guest-nonexistent', undefined, 'CommandNotFound', /^The command guest-nonexistent has not been found$/],
				['guest-exec', {path: 'true'}, 'CommandNotFound', /^Command guest-exec has been disabled$/],
				['guest-sync', undefined, 'GenericError', /^Parameter 'id' is missing$/],
				['guest-sync', {id: 'x'}, 'GenericError', /^Invalid parameter type for 'id', expected: integer$/],
				['guest-ping', {bogus: 1}, 'GenericError', /^Parameter 'bogus' is unexpected$/],
				['guest-file-open', {path: path.join(temp.dir, 'missing'), mode: 'r'}, 'GenericError', /No such file or directory/],
				['guest-file-read', {handle: 999_999, count: 1}, 'GenericError', /has not been found/],
				// Last: a no-reply command is always followed by a sync, whatever its answer.
				['guest-shutdown', undefined, 'CommandNotFound', /^Command guest-shutdown has been disabled$/],
			];
			for (const [execute, args, errorClass, desc] of cases) {
				const error = (await rejection(client.execute(execute, args))) as QgaCommandError;
				expect(error).toBeInstanceOf(QgaCommandError);
				expect(error.errorClass).toBe(errorClass);
				expect(error.desc).toMatch(desc);
			}

			expect(client.counters.syncs).toBe(1);
		} finally {
			client.close();
		}
	});

	it('a second client is told the agent is held by another client, within its timeout', async () => {
		const first = await connect();
		const second = await connect({timeoutMs: 600});
		try {
			await first.execute('guest-ping');
			const started = Date.now();
			const error = await rejection(second.execute('guest-ping'));
			expect(error).toBeInstanceOf(VirtagentError);
			expect((error as VirtagentError).code).toBe('ETIMEDOUT');
			expect(error.message).toContain('held by another client');
			expect(Date.now() - started).toBeLessThan(3000);
			// Once the first lets go, qemu-ga answers the second (its stale sync reply is discarded).
			first.close();
			expect(await second.execute('guest-ping', undefined, {timeoutMs: 3000})).toEqual({});
			expect(second.counters.syncs).toBe(2);
		} finally {
			first.close();
			second.close();
		}
	});

	it('a killed qemu-ga closes the client (calls fail with ECONNRESET); a restarted one answers a new connection', async () => {
		const client = await connect();
		await client.execute('guest-ping');
		const closed = new Promise<void>(resolve => client.onClose(() => resolve()));
		await agent.kill();
		await closed;
		const error = await rejection(client.execute('guest-ping'));
		expect((error as VirtagentError).code).toBe('ECONNRESET');
		agent = await agent.restart();
		const again = await connect();
		try {
			expect(await again.execute('guest-ping')).toEqual({});
		} finally {
			again.close();
		}
	});

	it('a half-written request from a previous client does not break the next one (the 0xFF reset)', async () => {
		const socket = net.connect(agent.path);
		await new Promise(resolve => socket.once('connect', resolve));
		socket.write('{"execute":"guest-ping", "argu');
		await new Promise(resolve => setTimeout(resolve, 100));
		socket.destroy();
		const client = await connect();
		try {
			expect(await client.execute('guest-ping')).toEqual({});
			expect(client.counters.foreignReplies).toBe(0);
		} finally {
			client.close();
		}
	});
});
