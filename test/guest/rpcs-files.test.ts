/**
 * va.getfile and va.readfile in-process (docs/PROTOCOL.md §5, §8), through the daemon's own
 * wiring (registerGuestRpcs), on real files: regular files in a temp dir, procfs and sysfs files
 * whose stat size is not their content's, devices, FIFOs, and files that change between calls.
 */
import {execFileSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {describeErrno} from '../../src/guest/rpcs/errno.js';
import {getfileLimit} from '../../src/guest/rpcs/getfile.js';
import {readfileCountMax} from '../../src/guest/rpcs/readfile.js';
import {encodeResponse} from '../../src/protocol/codec.js';
import {tempDir} from '../helpers/socket-pair.js';
import {faultOf, guestHandlers, valueOf} from './in-process.js';

type Chunk = {data: Buffer; eof: boolean; size: number; mtime: Date};

let temp: {dir: string; remove: () => void};
const openFds: Array<() => void> = [];
beforeEach(() => {
	temp = tempDir('va-rpcs-files-');
});
afterEach(() => {
	for (const close of openFds.splice(0)) {
		close();
	}

	temp.remove();
});

function file(name: string, content: Buffer | string): string {
	const filePath = path.join(temp.dir, name);
	fs.writeFileSync(filePath, content);
	return filePath;
}

/** A FIFO; with `writer`, the test holds it open for writing (O_RDWR: never blocks) and returns the fd. */
function fifo(name: string, writer: boolean): {path: string; fd: number | undefined} {
	const fifoPath = path.join(temp.dir, name);
	execFileSync('mkfifo', [fifoPath]);
	if (!writer) {
		return {path: fifoPath, fd: undefined};
	}

	const fd = fs.openSync(fifoPath, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
	openFds.push(() => {
		fs.closeSync(fd);
	});
	return {path: fifoPath, fd};
}

const fdCount = () => fs.readdirSync('/proc/self/fd').length;

describe('getfileLimit: the largest file whose va.getfile answer fits the body limit', () => {
	const envelope = encodeResponse(Buffer.alloc(0)).length;

	it('fits exactly: that many bytes encode within bodyMax, three more do not (every bodyMax residue)', () => {
		for (const bodyMax of [envelope + 4, envelope + 5, envelope + 6, envelope + 7, envelope + 100, envelope + 101, 2 * 1024 * 1024, 2 * 1024 * 1024 + 3]) {
			const limit = getfileLimit(bodyMax);
			expect(limit % 3, `bodyMax ${bodyMax}`).toBe(0);
			expect(encodeResponse(Buffer.alloc(limit)).length, `bodyMax ${bodyMax}`).toBeLessThanOrEqual(bodyMax);
			expect(encodeResponse(Buffer.alloc(limit + 1)).length, `bodyMax ${bodyMax}`).toBeGreaterThan(bodyMax);
		}

		expect(getfileLimit(2 * 1024 * 1024)).toBe(1_572_774);
	});

	it('is 0 when not even an empty file fits, and never negative', () => {
		expect(getfileLimit(envelope + 3)).toBe(0);
		expect(getfileLimit(envelope)).toBe(0);
		expect(getfileLimit(10)).toBe(0);
		expect(getfileLimit(0)).toBe(0);
	});

	it('is lowered to getfileMax, never raised by it', () => {
		expect(getfileLimit(2 * 1024 * 1024, 1000)).toBe(1000);
		expect(getfileLimit(2 * 1024 * 1024, 0)).toBe(0);
		expect(getfileLimit(2 * 1024 * 1024, 5_000_000)).toBe(1_572_774);
	});
});

describe('va.getfile in-process', () => {
	it('returns regular files byte-exact: empty, one byte, 200 KB of random bytes (more than the first buffer)', async () => {
		const handlers = guestHandlers();
		for (const content of [Buffer.alloc(0), Buffer.of(0xff), randomBytes(200_000)]) {
			const value = valueOf(await handlers.call('va.getfile', [file('f', content)]));
			expect(Buffer.isBuffer(value)).toBe(true);
			expect((value as Buffer).equals(content)).toBe(true);
		}
	});

	it('takes a file of exactly the limit and faults one byte over, with its size, before reading', async () => {
		const handlers = guestHandlers({getfileLimit: 1000});
		const exact = randomBytes(1000);
		expect((valueOf(await handlers.call('va.getfile', [file('exact', exact)])) as Buffer).equals(exact)).toBe(true);
		expect(faultOf(await handlers.call('va.getfile', [file('over', randomBytes(1001))]))).toEqual([-500, 'file too large: 1001 bytes (limit 1000)']);
		const none = guestHandlers({getfileLimit: 0});
		expect((valueOf(await none.call('va.getfile', [file('empty', '')])) as Buffer).length).toBe(0);
		expect(faultOf(await none.call('va.getfile', [file('one', 'x')]))).toEqual([-500, 'file too large: 1 bytes (limit 0)']);
	});

	it('reads procfs files (stat size 0) to their end, growing its buffer: /proc/kallsyms is megabytes', async () => {
		expect(fs.statSync('/proc/kallsyms').size).toBe(0);
		const expected = fs.readFileSync('/proc/kallsyms');
		expect(expected.length).toBeGreaterThan(4 * 64 * 1024);
		const handlers = guestHandlers({getfileLimit: expected.length + 1000});
		const value = valueOf(await handlers.call('va.getfile', ['/proc/kallsyms'])) as Buffer;
		expect(value.length).toBe(expected.length);
		expect(value.equals(expected)).toBe(true);
	});

	it('a stat-size-0 file at exactly the limit is sent; one byte less is "more than" the limit', async () => {
		const cmdline = fs.readFileSync('/proc/self/cmdline');
		expect(fs.statSync('/proc/self/cmdline').size).toBe(0);
		const exact = guestHandlers({getfileLimit: cmdline.length});
		expect((valueOf(await exact.call('va.getfile', ['/proc/self/cmdline'])) as Buffer).equals(cmdline)).toBe(true);
		const under = cmdline.length - 1;
		expect(faultOf(await guestHandlers({getfileLimit: under}).call('va.getfile', ['/proc/self/cmdline']))).toEqual([
			-500,
			`file too large: more than ${under} bytes (limit ${under})`,
		]);
	});

	it('faults while reading a procfs file over the limit, and an endless device, at every buffer size', async () => {
		for (const limit of [0, 10, 64 * 1024, 64 * 1024 + 1, 200_000]) {
			const handlers = guestHandlers({getfileLimit: limit});
			expect(faultOf(await handlers.call('va.getfile', ['/proc/kallsyms']))).toEqual([-500, `file too large: more than ${limit} bytes (limit ${limit})`]);
			expect(faultOf(await handlers.call('va.getfile', ['/dev/zero']))).toEqual([-500, `file too large: more than ${limit} bytes (limit ${limit})`]);
		}
	});

	it('reads a FIFO without blocking: no writer is an empty file, a writer with nothing to say is a read fault', async () => {
		const handlers = guestHandlers();
		const alone = fifo('alone', false);
		expect((valueOf(await handlers.call('va.getfile', [alone.path])) as Buffer).length).toBe(0);
		const held = fifo('held', true);
		expect(faultOf(await handlers.call('va.getfile', [held.path]))).toEqual([-500, 'read failed: resource temporarily unavailable']);
	});

	it('says why a read failed (/proc/self/mem at address 0: EIO)', async () => {
		expect(faultOf(await guestHandlers().call('va.getfile', ['/proc/self/mem']))).toEqual([-500, 'read failed: input/output error']);
	});

	it('says why an open failed, in words, for every reason a path can give', async () => {
		const handlers = guestHandlers();
		const plain = file('plain', 'x');
		fs.symlinkSync(path.join(temp.dir, 'loop-b'), path.join(temp.dir, 'loop-a'));
		fs.symlinkSync(path.join(temp.dir, 'loop-a'), path.join(temp.dir, 'loop-b'));
		const socketPath = path.join(temp.dir, 's.sock');
		const server = net.createServer();
		await new Promise<void>(resolve => server.listen(socketPath, resolve));
		try {
			const cases: Array<[string, string]> = [
				[path.join(temp.dir, 'nope'), 'no such file or directory'],
				[temp.dir, 'is a directory'],
				[path.join(plain, 'below'), 'a path component is not a directory'],
				[path.join(temp.dir, 'loop-a'), 'too many levels of symbolic links'],
				[path.join(temp.dir, 'n'.repeat(300)), 'file name too long'],
				['/proc/sys/vm/compact_memory', 'permission denied'], // write-only, even for root
				[socketPath, 'no such device or address'],
				[`${plain}\u0000x`, 'invalid path'],
			];
			for (const [filePath, reason] of cases) {
				expect(faultOf(await handlers.call('va.getfile', [filePath])), filePath).toEqual([-500, `open failed: ${reason}`]);
				expect(faultOf(await handlers.call('va.readfile', [filePath, 0, 10])), filePath).toEqual([-500, `open failed: ${reason}`]);
			}
		} finally {
			server.close();
		}
	});

	it('closes every file it opens: after reads, faults while reading, and refused directories', async () => {
		const handlers = guestHandlers({getfileLimit: 10});
		const small = file('small', 'abc');
		const large = file('large', randomBytes(100));
		await handlers.call('va.getfile', [small]); // warm up whatever the first call opens once
		const before = fdCount();
		for (let i = 0; i < 20; i++) {
			expect(valueOf(await handlers.call('va.getfile', [small]))).toEqual(Buffer.from('abc'));
			expect(faultOf(await handlers.call('va.getfile', [large]))[0]).toBe(-500);
			expect(faultOf(await handlers.call('va.getfile', ['/dev/zero']))[0]).toBe(-500);
			expect(faultOf(await handlers.call('va.getfile', [temp.dir]))[1]).toBe('open failed: is a directory');
			expect(faultOf(await handlers.call('va.readfile', [temp.dir, 0, 1]))[1]).toBe('open failed: is a directory');
			expect(valueOf(await handlers.call('va.readfile', [small, 1, 1]))).toMatchObject({data: Buffer.from('b')});
			expect(faultOf(await handlers.call('va.readfile', ['/proc/self/mem', 0, 1]))[0]).toBe(-500);
		}

		expect(fdCount()).toBe(before);
	});

	it('faults -501 for a parameter that is not a path', async () => {
		const handlers = guestHandlers();
		expect(faultOf(await handlers.call('va.getfile', [42]))).toEqual([-501, 'parameter 1 (path): string expected']);
		expect(faultOf(await handlers.call('va.getfile', []))[0]).toBe(-501);
	});
});

describe('va.readfile in-process', () => {
	const read = async (handlers: ReturnType<typeof guestHandlers>, ...params: unknown[]) =>
		valueOf(await handlers.call('va.readfile', params as never)) as Chunk;
	const mtime = new Date('2020-01-02T03:04:05.000Z');

	function tenBytes(): string {
		const filePath = file('ten', 'abcdefghij');
		fs.utimesSync(filePath, mtime, mtime);
		return filePath;
	}

	it('reads a chunk from an offset, with the size and mtime; eof only on the chunk that reaches the end', async () => {
		const handlers = guestHandlers();
		const ten = tenBytes();
		const expectChunk = async (offset: number, count: number, data: string, eof: boolean) => {
			const chunk = await read(handlers, ten, offset, count);
			expect({data: chunk.data.toString(), eof: chunk.eof, size: chunk.size, mtime: chunk.mtime.toISOString()}, `${offset}+${count}`).toEqual({
				data,
				eof,
				size: 10,
				mtime: mtime.toISOString(),
			});
		};

		await expectChunk(0, 3, 'abc', false);
		await expectChunk(2, 3, 'cde', false);
		await expectChunk(6, 3, 'ghi', false); // ends one byte before the end
		await expectChunk(7, 3, 'hij', true); // ends exactly at the end: eof from the size
		await expectChunk(7, 4, 'hij', true); // asks past the end: eof from the read
		await expectChunk(0, 10, 'abcdefghij', true);
		await expectChunk(9, 1, 'j', true);
		await expectChunk(10, 5, '', true); // at the end
		await expectChunk(11, 5, '', true); // past it
		await expectChunk(0, 0, '', false); // nothing asked, not at the end
		await expectChunk(10, 0, '', true);
	});

	it('tells a file that changed between two chunks by its size and mtime now', async () => {
		const handlers = guestHandlers();
		const ten = tenBytes();
		expect((await read(handlers, ten, 0, 4)).size).toBe(10);
		fs.truncateSync(ten, 4);
		const later = new Date('2021-06-07T08:09:10.000Z');
		fs.utimesSync(ten, later, later);
		const chunk = await read(handlers, ten, 4, 4);
		expect({data: chunk.data.length, eof: chunk.eof, size: chunk.size, mtime: chunk.mtime.toISOString()}).toEqual({
			data: 0,
			eof: true,
			size: 4,
			mtime: later.toISOString(),
		});
		fs.appendFileSync(ten, 'XYZ');
		const grown = await read(handlers, ten, 4, 2);
		expect({data: grown.data.toString(), eof: grown.eof, size: grown.size}).toEqual({data: 'XY', eof: false, size: 7});
	});

	it('fills the chunk from a source that hands out less per read (/proc/kallsyms: a page at a time)', async () => {
		const expected = fs.readFileSync('/proc/kallsyms');
		const handlers = guestHandlers();
		const chunk = await read(handlers, '/proc/kallsyms', 0, readfileCountMax);
		expect(chunk.data.length).toBe(readfileCountMax);
		expect(chunk.data.equals(expected.subarray(0, readfileCountMax))).toBe(true);
		expect([chunk.eof, chunk.size]).toEqual([false, -1]);
		const later = await read(handlers, '/proc/kallsyms', 5000, 100);
		expect(later.data.equals(expected.subarray(5000, 5100))).toBe(true);
	});

	it('reports size -1 (unknown) for procfs and sysfs files and devices; eof only from the read there', async () => {
		const handlers = guestHandlers();
		const cmdline = fs.readFileSync('/proc/self/cmdline');
		const whole = await read(handlers, '/proc/self/cmdline', 0, 64 * 1024);
		expect([whole.data.equals(cmdline), whole.eof, whole.size]).toEqual([true, true, -1]);
		const part = await read(handlers, '/proc/self/cmdline', 0, 5);
		expect([part.data.equals(cmdline.subarray(0, 5)), part.eof, part.size]).toEqual([true, false, -1]);
		// sysfs says 4096 for a file of a few bytes.
		expect(fs.statSync('/sys/kernel/address_bits').size).toBe(4096);
		const sysfs = await read(handlers, '/sys/kernel/address_bits', 0, 100);
		expect([sysfs.data.toString(), sysfs.eof, sysfs.size]).toEqual([fs.readFileSync('/sys/kernel/address_bits', 'utf8'), true, -1]);
		// A device is not a regular file: its stat size (0) says nothing either.
		const zero = await read(handlers, '/dev/zero', 0, 16);
		expect([zero.data.equals(Buffer.alloc(16)), zero.eof, zero.size]).toEqual([true, false, -1]);
	});

	it('reads what a FIFO holds, chunk after chunk, without blocking: eof when it has nothing more now', async () => {
		// A pipe has no offsets (a positional read is ESPIPE, which this once answered): each chunk is its next bytes.
		const handlers = guestHandlers();
		const held = fifo('held', true);
		const empty = await read(handlers, held.path, 0, 10);
		expect([empty.data.length, empty.eof, empty.size]).toEqual([0, true, -1]);
		fs.writeSync(held.fd!, 'hello world');
		const first = await read(handlers, held.path, 0, 5);
		expect([first.data.toString(), first.eof, first.size]).toEqual(['hello', false, -1]);
		const rest = await read(handlers, held.path, 5, 10);
		expect([rest.data.toString(), rest.eof, rest.size]).toEqual([' world', true, -1]);
		const alone = fifo('alone', false);
		const none = await read(handlers, alone.path, 0, 10);
		expect([none.data.length, none.eof]).toEqual([0, true]);
	});

	it('says why a read failed', async () => {
		expect(faultOf(await guestHandlers().call('va.readfile', ['/proc/self/mem', 0, 10]))).toEqual([-500, 'read failed: input/output error']);
	});

	it('takes offset 0…2^53−1 and count 0…1 MiB; out of range is fault -501 naming the parameter', async () => {
		const handlers = guestHandlers();
		const ten = tenBytes();
		expect((await read(handlers, ten, Number.MAX_SAFE_INTEGER, 5)).data.length).toBe(0);
		expect((await read(handlers, ten, 2n ** 33n, 5)).eof).toBe(true);
		expect((await read(handlers, ten, 0, readfileCountMax)).data.toString()).toBe('abcdefghij');
		expect(faultOf(await handlers.call('va.readfile', [ten, 0, readfileCountMax + 1]))).toEqual([
			-501,
			'parameter 3 (count): 1048577 is out of range (0 to 1048576)',
		]);
		expect(faultOf(await handlers.call('va.readfile', [ten, 0, -1]))).toEqual([-501, 'parameter 3 (count): -1 is out of range (0 to 1048576)']);
		expect(faultOf(await handlers.call('va.readfile', [ten, -1, 5]))).toEqual([-501, 'parameter 2 (offset): -1 is out of range (0 to 9007199254740991)']);
		expect(faultOf(await handlers.call('va.readfile', [ten, 0]))[0]).toBe(-501);
		expect(faultOf(await handlers.call('va.readfile', [ten, 1.5, 5]))[0]).toBe(-501);
	});
});

describe('describeErrno: the reason, not Node’s whole message', () => {
	it('names an unknown code by itself, and falls back to the message or the value', () => {
		expect(describeErrno(Object.assign(new Error('x'), {code: 'EWEIRD'}))).toBe('EWEIRD');
		expect(describeErrno(Object.assign(new Error('x'), {code: 'toString'}))).toBe('toString'); // not an inherited property
		expect(describeErrno(new Error('plain failure'))).toBe('plain failure');
		expect(describeErrno('a string')).toBe('a string');
		expect(describeErrno(undefined)).toBe('undefined');
		expect(describeErrno(Object.assign(new Error('x'), {code: 'ERR_INVALID_ARG_TYPE'}))).toBe('invalid path');
		expect(describeErrno(Object.assign(new Error('x'), {code: 'EIO'}))).toBe('input/output error');
	});
});
