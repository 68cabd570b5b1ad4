/**
 * The guest daemon against a hostile host (issue #10, PROTOCOL.md §2 and §7), over a real socket
 * to a real `virtagent guest` process: every case ends with a good request answered, and the
 * daemon still running.
 */
import {spawn} from 'node:child_process';
import {readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {rawHost, type RawHost} from '../helpers/raw-host.js';
import {tempDir} from '../helpers/socket-pair.js';
import {startGuest, waitFor, type GuestProcess} from './helpers.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');

/** A request frame with a hand-written tag header (the encoder would refuse these tags). */
function requestWithTagLines(tagLines: readonly string[], body: string): Buffer {
	const bytes = Buffer.from(body);
	return Buffer.concat([
		latin1(`\xffPOST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: ${bytes.length}\r\n${tagLines.map(line => `${line}\r\n`).join('')}\r\n`),
		bytes,
	]);
}

const pingCall = '<?xml version="1.0"?><methodCall><methodName>va.ping</methodName><params/></methodCall>';
const callWithParam = (method: string, param: string) =>
	`<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params><param>${param}</param></params></methodCall>`;
const nestedArrays = (depth: number) => `${'<value><array><data>'.repeat(depth)}<value><int>1</int></value>${'</data></array></value>'.repeat(depth)}`;

describe('a hostile host cannot crash, stall or blind the guest daemon', () => {
	const temp = tempDir('va-guest-hostile-');
	const socketPath = path.join(temp.dir, 'guest.sock');
	let guest: GuestProcess;
	let host: RawHost;
	let next = 0;
	/** A good request after each attack: it must be answered. */
	const stillAnswers = async () => {
		expect(await host.request(`good.${++next}`, 'va.ping')).toBe('dummy');
		expect(guest.child.exitCode).toBeNull();
	};

	beforeAll(async () => {
		guest = startGuest(['--channel', 'unix-listen', '--path', socketPath, '--verbose', '--stall-timeout', '0.4']);
		await guest.waitForLine(/ info: listening on /);
		host = await rawHost(socketPath);
		await waitFor(() => host.frames.length > 0); // its va.hello, left unanswered
	});

	afterAll(async () => {
		host.socket.destroy();
		expect(await guest.stop()).toBe(0);
		temp.remove();
	});

	it.each([
		['a space', ['X-Virtagent-Client-Tag: a b']],
		['a byte >= 0x80', ['X-Virtagent-Client-Tag: caf\xe9']],
		['an escape sequence', ['X-Virtagent-Client-Tag: t\x1b[2J']],
		['3,990 characters (the whole header within 4096 bytes)', [`X-Virtagent-Client-Tag: ${'t'.repeat(3990)}`]],
		['two different tags', ['X-Virtagent-Client-Tag: one', 'X-Virtagent-Client-Tag: two']],
	])('a tag with %s is dropped as MALFORMED_HEADER (logged), and the next request is answered', async (_name, tagLines) => {
		const from = guest.lines.length;
		host.socket.write(requestWithTagLines(tagLines, pingCall));
		await guest.waitForLine(/ err: guest: framing error: MALFORMED_HEADER: /, {from});
		await stillAnswers();
	});

	it('a request nested 3,000 arrays deep is fault -501; 64 deep is served', async () => {
		host.socket.write(encodeFrame('request', 'deep', Buffer.from(callWithParam('va.ping', nestedArrays(3000)))));
		const deep = await host.answer('deep');
		expect(deep).toMatchObject({code: -501, message: expect.stringMatching(/nesting deeper than 64/) as unknown});
		host.socket.write(encodeFrame('request', 'deep64', Buffer.from(callWithParam('va.ping', nestedArrays(64)))));
		expect(await host.answer('deep64')).toBe('dummy');
		await stillAnswers();
	});

	it('a <double> of 200,000 digits and an x is answered (fault -503), and so is the next request', async () => {
		host.socket.write(encodeFrame('request', 'digits', Buffer.from(callWithParam('va.ping', `<value><double>${'1'.repeat(200_000)}x</double></value>`))));
		expect(await host.answer('digits', 30_000)).toMatchObject({code: -503});
		await stillAnswers();
	});

	it('a header trickled and never finished is dropped (STALLED_FRAME); the next request is read normally', async () => {
		const from = guest.lines.length;
		host.socket.write(latin1('\xffPOST /RPC2 HTTP/1.1\r\nContent-Le'));
		await guest.waitForLine(/ err: guest: framing error: STALLED_FRAME: header not complete/, {from});
		await stillAnswers();
	});

	it('a body that goes silent is dropped (STALLED_FRAME); the next request is not swallowed as its rest', async () => {
		const from = guest.lines.length;
		const frame = encodeFrame('request', 'silent', Buffer.from(pingCall));
		host.socket.write(frame.subarray(0, frame.length - 30)); // then silence
		await guest.waitForLine(/ err: guest: framing error: STALLED_FRAME: no body bytes/, {from});
		await stillAnswers();
		expect(host.frames.some(f => f.tag === 'silent')).toBe(false);
	});

	it('escapes what the host sent in every log line: ESC, OSC, CSI, C1 and U+2028 stay on one line', async () => {
		const from = guest.lines.length;
		const method = 'va.\u001b[2J\u001b]0;pwned\u0007\u009b31m\u2028forged line\u2029\u202eevil';
		host.socket.write(encodeFrame('request', 'evil', Buffer.from(`<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params/></methodCall>`)));
		expect(await host.answer('evil')).toMatchObject({code: -506});
		await guest.waitForLine(/ warning: rpc "va\.\\u001b\[2J/, {from});
		const written = guest.lines.slice(from).join('\n');
		expect(written).toContain('pwned');
		expect(written).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202e]/);
		// Under --verbose the engine's job lines name the method too: escaped, on their line.
		expect(
			guest.lines
				.slice(from)
				.filter(line => line.includes('forged line'))
				.every(line => / (debug|warning): /.test(line)),
		).toBe(true);
		await stillAnswers();
	});

	it('va.getfile returns a procfs file whose stat size is 0 whole (past the first 64 KiB buffer)', async () => {
		const environment = {A: 'a'.repeat(100_000), B: 'b'.repeat(100_000)};
		const sleeper = spawn('sleep', ['30'], {env: environment, stdio: 'ignore'});
		try {
			const file = `/proc/${sleeper.pid}/environ`;
			expect(statSync(file).size).toBe(0);
			const value = await host.request('proc', 'va.getfile', [file]);
			expect(Buffer.isBuffer(value)).toBe(true);
			expect((value as Buffer).length).toBeGreaterThan(200_000);
			expect((value as Buffer).equals(readFileSync(file))).toBe(true);
		} finally {
			sleeper.kill();
		}

		await stillAnswers();
	});
});
