/**
 * va.getdmesg in-process (docs/PROTOCOL.md §5: the last 16 KiB of the kernel log), through the
 * daemon's own wiring: the real /dev/kmsg (compared with util-linux `dmesg`), kmsg-like files,
 * the `dmesg` fallback and `--dmesg-command` as real child processes.
 */
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {dmesgTailBytes, formatKmsgRecord, LineWindow, OutputTail, readKmsg, tailBytes} from '../../src/guest/rpcs/getdmesg.js';
import {tempDir} from '../helpers/socket-pair.js';
import {faultOf, guestHandlers, valueOf} from './in-process.js';

let temp: {dir: string; remove: () => void};
beforeEach(() => {
	temp = tempDir('va-rpcs-dmesg-');
});
afterEach(() => {
	temp.remove();
});

const dmesgWith = async (dmesg: {command?: string[]; kmsgPath?: string}) => guestHandlers({dmesg}).call('va.getdmesg');

function file(name: string, content: string): string {
	const filePath = path.join(temp.dir, name);
	fs.writeFileSync(filePath, content);
	return filePath;
}

/** An executable `dmesg` in a fresh directory put first on PATH while `body` runs. */
async function withFakeDmesg<T>(script: string, body: () => Promise<T>): Promise<T> {
	const bin = path.join(temp.dir, 'bin');
	fs.mkdirSync(bin, {recursive: true});
	fs.writeFileSync(path.join(bin, 'dmesg'), `#!/bin/sh\n${script}\n`, {mode: 0o755});
	const saved = process.env['PATH'];
	process.env['PATH'] = `${bin}:${saved ?? ''}`;
	try {
		return await body();
	} finally {
		process.env['PATH'] = saved;
	}
}

/** The expectation tailBytes must meet, stated independently: a suffix, from a line start, the longest that fits. */
function expectTail(result: string, full: string): void {
	expect(full.endsWith(result)).toBe(true);
	expect(Buffer.byteLength(result)).toBeLessThanOrEqual(dmesgTailBytes);
	const before = full.slice(0, full.length - result.length);
	expect(before === '' || before.endsWith('\n')).toBe(true);
	const previousLine = before.slice(0, -1).lastIndexOf('\n') + 1;
	expect(Buffer.byteLength(full.slice(previousLine))).toBeGreaterThan(dmesgTailBytes);
}

describe('va.getdmesg from a command (--dmesg-command)', () => {
	it('returns its stdout exactly when short', async () => {
		expect(valueOf(await dmesgWith({command: ['printf', '[    1.000000] one\\n[    2.000000] two\\n']}))).toBe('[    1.000000] one\n[    2.000000] two\n');
		expect(valueOf(await dmesgWith({command: ['true']}))).toBe('');
	});

	it('returns the last 16 KiB of a long output, from a line start (a stdout of ~300 KB in many chunks)', async () => {
		const script = "for (let i = 0; i < 30000; i++) process.stdout.write(`[${String(i).padStart(5)}.000000] line ${i} ${'x'.repeat(i % 7)}\\n`);";
		const full = execFileSync(process.execPath, ['-e', script], {encoding: 'utf8', maxBuffer: 10 * 1024 * 1024});
		expect(full.length).toBeGreaterThan(8 * dmesgTailBytes);
		const result = valueOf(await dmesgWith({command: [process.execPath, '-e', script]})) as string;
		expectTail(result, full);
		expect(result).toBe(tailBytes(full));
	});

	it('faults -500 with the last line of its stderr, its exit code, or its signal', async () => {
		expect(faultOf(await dmesgWith({command: ['sh', '-c', 'echo first >&2; echo "last words  " >&2; echo >&2; exit 3']}))).toEqual([
			-500,
			'cannot read the kernel log: sh: last words',
		]);
		expect(faultOf(await dmesgWith({command: ['sh', '-c', 'echo partial; exit 7']}))).toEqual([-500, 'cannot read the kernel log: sh: exit code 7']);
		expect(faultOf(await dmesgWith({command: ['sh', '-c', 'kill -TERM $$']}))).toEqual([-500, 'cannot read the kernel log: sh: killed by SIGTERM']);
		expect(faultOf(await dmesgWith({command: ['/nonexistent/dmesg']}))).toEqual([
			-500,
			'cannot read the kernel log: /nonexistent/dmesg: no such file or directory',
		]);
	});

	it('keeps only the last 512 characters of a long stderr', async () => {
		const long = `${'a'.repeat(600)}END`;
		expect(faultOf(await dmesgWith({command: ['sh', '-c', `printf '%s' '${long}' >&2; exit 1`]}))).toEqual([
			-500,
			`cannot read the kernel log: sh: ${long.slice(-512)}`,
		]);
	});

	it('gives the command no input (a command that reads stdin ends at once)', async () => {
		expect(valueOf(await dmesgWith({command: ['cat']}))).toBe('');
	});

	it('kills a command that hangs (after 4 s)', async () => {
		expect(faultOf(await dmesgWith({command: ['sleep', '30']}))).toEqual([-500, 'cannot read the kernel log: sleep: killed by SIGTERM']);
	}, 15_000);
});

describe('va.getdmesg from /dev/kmsg', () => {
	it('formats a kmsg record as dmesg does, continuation lines dropped', async () => {
		const kmsg = file('kmsg', '6,1234,5678901,-;usb 1-1: new device\n SUBSYSTEM=usb\n');
		expect(valueOf(await dmesgWith({kmsgPath: kmsg}))).toBe('[    5.678901] usb 1-1: new device\n');
		expect(readKmsg(file('big', '4,9,123456789012,-;late\n'))).toBe('[123456.789012] late\n');
		expect(readKmsg(file('empty', ''))).toBe('');
		expect(readKmsg(file('junk', 'no record here'))).toBe('');
	});

	it('reads the real kernel log: the same last 16 KiB as util-linux dmesg prints', async () => {
		const theirsNow = () => execFileSync('dmesg', {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
		// The answer must come from /dev/kmsg itself: a `dmesg` found on PATH by the fallback fails.
		const ours = async () =>
			withFakeDmesg('exit 1', async () => {
				return valueOf(await guestHandlers().call('va.getdmesg')) as string;
			});
		// A kernel message between the two reads would differ: take a pair that agrees.
		let result = '';
		let theirs = '';
		for (let attempt = 0; attempt < 3; attempt++) {
			result = await ours();
			theirs = theirsNow();
			if (result === (await ours())) {
				break;
			}
		}

		expect(result).toMatch(/^(\[ *\d+\.\d{6}\] [^\n]*\n)+$/u);
		expect(result).toBe(tailBytes(theirs));
		if (Buffer.byteLength(theirs) > dmesgTailBytes) {
			expectTail(result, theirs);
		}
	});

	it('falls back to the dmesg program when /dev/kmsg cannot be read, and names both reasons when neither works', async () => {
		const missing = path.join(temp.dir, 'no-kmsg');
		await withFakeDmesg('echo "[    0.000000] from dmesg $#"', async () => {
			expect(valueOf(await dmesgWith({kmsgPath: missing}))).toBe('[    0.000000] from dmesg 0\n');
		});
		await withFakeDmesg('echo "dmesg: read kernel buffer failed: Operation not permitted" >&2; exit 1', async () => {
			expect(faultOf(await dmesgWith({kmsgPath: missing}))).toEqual([
				-500,
				`cannot read the kernel log: ${missing}: no such file or directory; dmesg: dmesg: read kernel buffer failed: Operation not permitted`,
			]);
			// A read that fails (not the end of the log): a directory, /proc/self/mem at 0.
			expect(faultOf(await dmesgWith({kmsgPath: temp.dir}))[1]).toBe(
				`cannot read the kernel log: ${temp.dir}: is a directory; dmesg: dmesg: read kernel buffer failed: Operation not permitted`,
			);
			expect(faultOf(await dmesgWith({kmsgPath: '/proc/self/mem'}))[1]).toBe(
				'cannot read the kernel log: /proc/self/mem: input/output error; dmesg: dmesg: read kernel buffer failed: Operation not permitted',
			);
		});
	});

	it('closes /dev/kmsg (or what stands for it) after every read, whatever happened', async () => {
		const kmsg = file('kmsg', '6,1,1,-;x\n');
		readKmsg(kmsg);
		const before = fs.readdirSync('/proc/self/fd').length;
		for (let i = 0; i < 20; i++) {
			expect(readKmsg(kmsg)).toBe('[    0.000001] x\n');
			expect(() => readKmsg(temp.dir)).toThrow(expect.objectContaining({code: 'EISDIR'}) as Error);
		}

		expect(fs.readdirSync('/proc/self/fd').length).toBe(before);
	});

	it('stops at the end of what a FIFO holds without blocking (EAGAIN), and at no writer at all', async () => {
		const fifoPath = path.join(temp.dir, 'fifo');
		execFileSync('mkfifo', [fifoPath]);
		expect(readKmsg(fifoPath)).toBe('');
		const fd = fs.openSync(fifoPath, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
		try {
			expect(readKmsg(fifoPath)).toBe('');
			fs.writeSync(fd, '6,1,2000000,-;through a pipe');
			expect(readKmsg(fifoPath)).toBe('[    2.000000] through a pipe\n');
		} finally {
			fs.closeSync(fd);
		}
	});
});

describe('kmsg records and the 16 KiB tail', () => {
	it('refuses records without a usable timestamp', () => {
		expect(formatKmsgRecord('6,1,-1,-;x')).toBeUndefined();
		expect(formatKmsgRecord('6,1,1.5,-;x')).toBeUndefined();
		expect(formatKmsgRecord('6,1,99999999999999999999,-;x')).toBeUndefined();
		expect(formatKmsgRecord('6,1,,-;x')).toBe('[    0.000000] x'); // Number('') is 0, as the kernel never writes
		expect(formatKmsgRecord(';x')).toBeUndefined();
		expect(formatKmsgRecord('6,1,5,-')).toBeUndefined(); // no ';': no message
		expect(formatKmsgRecord('6;1,2,3')).toBeUndefined(); // the fields end at the first ';'
		expect(formatKmsgRecord('6,1,1000000,-;')).toBe('[    1.000000] ');
		expect(formatKmsgRecord('6,1,999999,-;edge')).toBe('[    0.999999] edge');
	});

	it('cuts at a line start, or at a character boundary when one line is longer than everything', () => {
		expect(tailBytes('abc\n', 4)).toBe('abc\n');
		expect(tailBytes('abcd\n', 4)).toBe('bcd\n'); // one line: cut inside it
		expect(tailBytes('ab\ncd\n', 4)).toBe('cd\n'); // the cut falls after 'a'
		expect(tailBytes('ab\ncd\n', 3)).toBe('cd\n'); // the cut falls right on a line start
		expect(tailBytes('abcdef\n', 3)).toBe('ef\n');
		expect(tailBytes('abc\n\n', 2)).toBe('\n'); // the only newline after the cut is the last byte
		expect(tailBytes('€€€', 4)).toBe('€'); // 9 bytes: the cut at byte 5 moves to 6
		expect(tailBytes('€€€', 6)).toBe('€€');
		expect(tailBytes('x'.repeat(dmesgTailBytes + 1))).toBe('x'.repeat(dmesgTailBytes));
	});
});

describe('the bounds on what a kernel log read holds', () => {
	it('keeps a window of whole lines: 16 KiB, plus at most the line that crosses it', () => {
		const window = new LineWindow();
		const line = 'y'.repeat(127); // 128 bytes with its newline
		for (let i = 0; i < 128; i++) {
			window.add(line);
		}

		expect(window.heldBytes).toBe(128 * 128); // exactly 16 KiB: nothing dropped yet
		window.add(line);
		expect(window.heldBytes).toBe(128 * 128); // the first line dropped: the rest is still 16 KiB
		for (let i = 0; i < 1000; i++) {
			window.add(`${i} ${'z'.repeat(i % 300)}`);
			expect(window.heldBytes).toBeLessThan(dmesgTailBytes + 300 + 10);
		}

		const text = window.text();
		expect(text.endsWith(`999 ${'z'.repeat(999 % 300)}\n`)).toBe(true);
		expect(Buffer.byteLength(text)).toBeLessThanOrEqual(dmesgTailBytes);
	});

	it('keeps the first line while the rest is under 16 KiB, even by one byte (so the text is the whole window)', () => {
		const window = new LineWindow();
		window.add('a');
		window.add('b'.repeat(dmesgTailBytes - 3)); // 2 + 16,382 bytes: exactly 16 KiB held
		expect(window.heldBytes).toBe(dmesgTailBytes);
		expect(window.text()).toBe(`a\n${'b'.repeat(dmesgTailBytes - 3)}\n`);
	});

	it('keeps a single line longer than the window (cut only when the text is made), and drops it for the next', () => {
		const window = new LineWindow();
		window.add('w'.repeat(20_000));
		expect(window.heldBytes).toBe(20_001);
		expect(window.text()).toBe(`${'w'.repeat(dmesgTailBytes - 1)}\n`);
		window.add('next');
		expect(window.heldBytes).toBe(20_006); // what follows the long line is under 16 KiB: it stays
		window.add('n'.repeat(dmesgTailBytes));
		expect(window.heldBytes).toBe(dmesgTailBytes + 1); // the last line alone fills the window: the two before it go
	});

	it('holds at most 64 KiB of a command’s output, cut back to its last 32 KiB, and tails it the same', () => {
		const tail = new OutputTail();
		const all: Buffer[] = [];
		const push = (chunk: Buffer) => {
			tail.push(chunk);
			all.push(chunk);
		};

		push(Buffer.alloc(4 * dmesgTailBytes, 'a'));
		expect(tail.heldBytes).toBe(4 * dmesgTailBytes); // exactly at the bound: kept whole
		push(Buffer.from('b'));
		expect(tail.heldBytes).toBe(2 * dmesgTailBytes);
		for (let i = 0; i < 3000; i++) {
			push(Buffer.from(`line ${i}\n`));
			expect(tail.heldBytes).toBeLessThanOrEqual(4 * dmesgTailBytes);
		}

		expect(tail.text()).toBe(tailBytes(Buffer.concat(all).toString('utf8')));
	});
});
