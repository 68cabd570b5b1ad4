import {describe, expect, it} from 'vitest';
import {fillTemplate, splitCommandLine} from '../../src/guest/argv-template.js';
import {batchedWriter} from '../../src/guest/batched-write.js';
import {createGuestLog, summarizeValue} from '../../src/guest/log.js';
import {parseGuestArgs} from '../../src/guest/options.js';
import {formatKmsgRecord, tailBytes} from '../../src/guest/rpcs/getdmesg.js';

describe('command templates', () => {
	it('splits like a shell, quoting only, and fills placeholders per word', () => {
		const argv = splitCommandLine(`shutdown {flag} +0 "hypervisor initiated shutdown" 'it''s' a\\ b "q\\"x"`);
		expect(argv).toEqual(['shutdown', '{flag}', '+0', 'hypervisor initiated shutdown', 'its', 'a b', 'q"x']);
		expect(fillTemplate(argv, {flag: '-r', mode: 'reboot'}).slice(0, 2)).toEqual(['shutdown', '-r']);
		// A value can never become more words or shell syntax.
		expect(fillTemplate(['echo', '{mode}'], {mode: '$(rm -rf /); x y'})).toEqual(['echo', '$(rm -rf /); x y']);
		expect(fillTemplate(['{unknown}'], {})).toEqual(['{unknown}']);
		expect(() => splitCommandLine('   ')).toThrow('empty command');
		expect(() => splitCommandLine(`echo 'open`)).toThrow('unterminated single quote');
	});

	it('separates words at exactly the characters /\\s/ matches', () => {
		for (let code = 0; code < 0x1_00_00; code++) {
			const char = String.fromCharCode(code);
			if (char === '"' || char === "'" || char === '\\') {
				continue;
			}

			const expected = /\s/.test(char) ? ['a', 'b'] : [`a${char}b`];
			expect(splitCommandLine(`a${char}b`), `U+${code.toString(16)}`).toEqual(expected);
		}
	});
});

describe('kernel log formatting', () => {
	it('formats /dev/kmsg records like dmesg and drops continuation lines', () => {
		expect(formatKmsgRecord('6,1234,5678901,-;usb 1-1: new device\n SUBSYSTEM=usb\n DEVICE=c189:1\n')).toBe('[    5.678901] usb 1-1: new device');
		expect(formatKmsgRecord('4,1,0,-,caller=T1;a;b')).toBe('[    0.000000] a;b');
		expect(formatKmsgRecord('garbage')).toBeUndefined();
		expect(formatKmsgRecord('6,1,notanumber,-;x')).toBeUndefined();
	});

	it('keeps the last bytes, from a line start when it can, never mid-character', () => {
		expect(tailBytes('short\n', 100)).toBe('short\n');
		expect(tailBytes('aaaa\nbbbb\ncccc\n', 11)).toBe('bbbb\ncccc\n'); // the cut fell on a line end
		expect(tailBytes('aaaa\nbbbb\ncccc\n', 9)).toBe('cccc\n'); // the cut fell inside bbbb
		expect(tailBytes('ééééé', 5)).toBe('éé'); // 10 bytes; a cut inside a character moves forward
	});
});

describe('log lines', () => {
	it('escape what came from the host, one event per line, with syslog levels', () => {
		const lines: string[] = [];
		const log = createGuestLog({verbose: false, journal: false, write: line => lines.push(line), now: () => new Date(0)});
		log.log('info', `rpc ${summarizeValue('\u001b[2J\u009b31m\nx')}`);
		log.log('debug', 'hidden without --verbose');
		expect(lines).toEqual(['1970-01-01T00:00:00.000Z info: rpc "\\u001b[2J\\u009b31m\\nx"\n']);
		const journal: string[] = [];
		createGuestLog({verbose: true, journal: true, write: line => journal.push(line)}).log('debug', 'two\nlines');
		expect(journal).toEqual(['<7>two\\nlines\n']);
	});

	it('escape at the sink: a raw method name or tag in any message cannot steer the terminal or add a line', () => {
		const lines: string[] = [];
		const log = createGuestLog({verbose: true, journal: true, write: line => lines.push(line)});
		log.log('debug', 'job va.\u001b[2J\u001b]0;pwned\u0007\u009b31m\u2028forged\u2029\r\n<3>fake \u202eevil');
		expect(lines).toEqual(['<7>job va.\\x1b[2J\\x1b]0;pwned\\x07\\u009b31m\\u2028forged\\u2029\\r\\n<3>fake \\u202eevil\n']);
		// Printable ASCII is written as it is; the bytes just outside it are not.
		log.log('info', ' plain ~ASCII! ');
		log.log('info', 'tab\there del\u007f us\u001f');
		expect(lines.slice(1)).toEqual(['<6> plain ~ASCII! \n', '<6>tab\\there del\\x7f us\\x1f\n']);
	});

	it('summarize a 3,000-deep value without recursing on its depth', () => {
		let deep: unknown = 1;
		for (let i = 0; i < 3000; i++) {
			deep = i % 2 === 0 ? [deep] : {k: deep};
		}

		expect(summarizeValue(deep)).toBe('{"k": [{"k": [… 1 items]}]}');
	});

	it('stamp lines with the current time in ISO form (built once a second, exact to the millisecond)', async () => {
		const lines: string[] = [];
		const log = createGuestLog({verbose: false, journal: false, write: line => lines.push(line)});
		for (let round = 0; round < 3; round++) {
			const before = Date.now();
			log.log('info', `round ${round}`);
			const after = Date.now();
			const stamp = /^(\S+) info: round \d\n$/u.exec(lines.at(-1)!)![1]!;
			expect(new Date(stamp).toISOString()).toBe(stamp);
			expect(Date.parse(stamp)).toBeGreaterThanOrEqual(before);
			expect(Date.parse(stamp)).toBeLessThanOrEqual(after);
			await new Promise(resolve => setTimeout(resolve, 600)); // Crosses a second boundary.
		}
	});

	it('summarize bytes, arrays and structs briefly', () => {
		expect(summarizeValue(Buffer.alloc(3))).toBe('<3 bytes>');
		expect(summarizeValue({version: '1.0', methods: ['a', 'b']})).toBe('{"version": "1.0", "methods": ["a", "b"]}');
		expect(summarizeValue('x'.repeat(100), 10)).toBe(`"${'x'.repeat(10)}…" (100 chars)`);
	});
});

describe('batched log writes', () => {
	it('write the lines of a burst at once, after the delay, in order', async () => {
		const writes: string[] = [];
		const writer = batchedWriter(text => writes.push(text), {maxDelayMs: 30});
		for (let i = 0; i < 100; i++) {
			writer.write(`line ${i}\n`);
		}

		expect(writes).toEqual([]);
		await new Promise(resolve => setTimeout(resolve, 80));
		expect(writes).toEqual([Array.from({length: 100}, (_, i) => `line ${i}\n`).join('')]);
	});

	it('write at once when the batch is full, and on flush', () => {
		const writes: string[] = [];
		const writer = batchedWriter(text => writes.push(text), {maxDelayMs: 60_000, maxBytes: 10});
		writer.write('12345\n');
		expect(writes).toEqual([]);
		writer.write('67890\n');
		expect(writes).toEqual(['12345\n67890\n']);
		writer.write('last\n');
		writer.flush();
		expect(writes).toEqual(['12345\n67890\n', 'last\n']);
	});
});

describe('numbers on the command line', () => {
	// options.ts checks them with a loop (no pattern before the hello): it must accept exactly
	// what /^\d+$/ (integers) and /^\d+(\.\d+)?$/ (seconds) did.
	const alphabet = ['0', '7', '.', '-', '+', 'e', ' ', 'x'];
	const texts = [''];
	for (let length = 1; length <= 4; length++) {
		for (const text of texts.filter(t => t.length === length - 1)) {
			texts.push(...alphabet.map(char => `${text}${char}`));
		}
	}

	const accepts = (args: string[]) => {
		try {
			parseGuestArgs(args);
			return true;
		} catch {
			return false;
		}
	};

	it('accepts the integers and seconds the patterns did, nothing else', () => {
		for (const text of texts) {
			expect(accepts(['--getfile-max', text]), `--getfile-max '${text}'`).toBe(/^\d+$/.test(text));
			expect(accepts(['--shutdown-delay', text]), `--shutdown-delay '${text}'`).toBe(/^\d+(\.\d+)?$/.test(text));
		}
	});
});
