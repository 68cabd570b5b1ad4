/** va.readfile (docs/PROTOCOL.md §8) served by a real guest daemon process, called by the engine. */
import {randomBytes} from 'node:crypto';
import {mkdirSync, statSync, utimesSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {tempDir} from '../helpers/socket-pair.js';
import {connectHost, faultOf, makeHost, startGuest, type GuestProcess, type Host} from './helpers.js';

type Chunk = {data: Buffer; eof: boolean; size: number | bigint; mtime: Date};

describe('va.readfile on a real guest daemon', () => {
	const temp = tempDir('va-readfile-');
	const socketPath = path.join(temp.dir, 'guest.sock');
	const file = path.join(temp.dir, 'data.bin');
	const content = randomBytes(3 * 1024 * 1024 + 17);
	let guest: GuestProcess;
	let host: Host;

	beforeAll(async () => {
		writeFileSync(file, content);
		utimesSync(file, new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
		guest = startGuest(['--channel', 'unix-listen', '--path', socketPath, '--shutdown-command', 'true']);
		host = makeHost();
		await connectHost(host, socketPath);
	});

	afterAll(async () => {
		host.close();
		expect(await guest.stop()).toBe(0);
		temp.remove();
	});

	const read = async (...params: unknown[]) => (await host.agent.call('va.readfile', params as never, {timeoutMs: 10_000})) as Chunk;

	it('is advertised in va.capabilities', async () => {
		const capabilities = (await host.agent.call('va.capabilities')) as {methods: string[]};
		expect(capabilities.methods).toContain('va.readfile');
	});

	it('reads a file of any size chunk by chunk, byte-exact, with its size and mtime', async () => {
		const parts: Buffer[] = [];
		let offset = 0;
		for (;;) {
			const chunk = await read(file, offset, 1024 * 1024);
			expect(chunk.size).toBe(content.length);
			expect(chunk.mtime.toISOString()).toBe('2020-01-02T03:04:05.000Z');
			parts.push(chunk.data);
			offset += chunk.data.length;
			if (chunk.eof) {
				break;
			}
		}

		expect(parts.map(part => part.length)).toEqual([1024 * 1024, 1024 * 1024, 1024 * 1024, 17]);
		expect(Buffer.concat(parts).equals(content)).toBe(true);
	});

	it('says eof on the chunk that reaches the end, and past it returns nothing', async () => {
		const exact = await read(file, content.length - 10, 10);
		expect(exact.data.equals(content.subarray(-10))).toBe(true);
		expect(exact.eof).toBe(true);
		const past = await read(file, content.length + 100, 10);
		expect(past).toMatchObject({eof: true, size: content.length});
		expect(past.data).toHaveLength(0);
		const zero = await read(file, 0, 0);
		expect(zero.data).toHaveLength(0);
	});

	it('takes offset as i8 beyond 2^31, and count up to 1 MiB; over that is fault -501', async () => {
		expect((await read(file, 2n ** 33n, 5)).data).toHaveLength(0);
		const over = await faultOf(read(file, 0, 1024 * 1024 + 1));
		expect(over.code).toBe(-501);
		expect(over.faultString).toContain('count');
		for (const params of [
			[file, -1, 5],
			[file, 0],
			[file, '0', 5],
			[file, 1.5, 5],
			[42, 0, 5],
		]) {
			expect((await faultOf(read(...params))).code).toBe(-501);
		}
	});

	it('faults like va.getfile: a missing file, a directory', async () => {
		const missing = await faultOf(read(path.join(temp.dir, 'nope'), 0, 10));
		expect([missing.code, missing.faultString]).toEqual([-500, 'open failed: no such file or directory']);
		const directory = path.join(temp.dir, 'dir');
		mkdirSync(directory);
		expect((await faultOf(read(directory, 0, 10))).faultString).toBe('open failed: is a directory');
	});

	it('reports size -1 for procfs files (their stat says 0) and still reads their contents', async () => {
		expect(statSync('/proc/self/status').size).toBe(0);
		const chunk = await read('/proc/self/status', 0, 64 * 1024);
		expect(chunk.size).toBe(-1);
		expect(chunk.eof).toBe(true);
		expect(chunk.data.toString()).toMatch(/^Name:\s/);
		// A later chunk continues where the first left off.
		const second = await read('/proc/self/status', 10, 64 * 1024);
		expect(chunk.data.subarray(10, 30).toString()).toBe(second.data.subarray(0, 20).toString());
	});
});
