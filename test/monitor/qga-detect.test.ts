/** The detection rule of --protocol auto (docs/PROTOCOL.md §9) on bytes: what decides, what is handed on. */
import {describe, expect, it} from 'vitest';
import {probeBytes} from '../../src/monitor/qga/detect.js';
import {ProbeScanner} from '../../src/monitor/qga/probe-scanner.js';
import {XmlRpcWriter} from '../../src/wire/xmlrpc/writer.js';

const writer = new XmlRpcWriter(64 * 1024);
const hello = writer.request('g.1', 'va.hello', []).bytes;
const answer = writer.response('probe-2', {ok: true, value: 'dummy'}).bytes;

function feed(scanner: ProbeScanner, ...chunks: Array<Buffer | string>) {
	let found;
	for (const chunk of chunks) {
		found ??= scanner.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'latin1'));
	}

	return found;
}

describe('the protocol probe', () => {
	it('writes a sync without a 0xFF first, then 0xFF + sync + a va.ping frame', () => {
		const first = probeBytes(1).toString('latin1');
		expect(first).toMatch(/^\{"execute":"guest-sync-delimited","arguments":\{"id":\d+\}\}\n$/u);
		const later = probeBytes(2);
		expect(later[0]).toBe(0xff);
		expect(later.toString('latin1')).toMatch(/^\xff\{"execute":"guest-sync-delimited","arguments":\{"id":\d+\}\}\n\xffPOST \/RPC2 HTTP\/1\.1\r\n/u);
		expect(later.toString('latin1')).toContain('<methodName>va.ping</methodName>');
	});

	it('qemu-ga: the sync answer (after its 0xFF) or any error reply decides; nothing is handed on', () => {
		expect(feed(new ProbeScanner(), '\xff{"return": 1234', '5}\n')).toEqual({
			protocol: 'qga',
			replay: Buffer.alloc(0),
			evidence: 'guest-sync-delimited answered',
		});
		expect(feed(new ProbeScanner(), '{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\uFFFD\'"}}\n')).toMatchObject({
			protocol: 'qga',
			evidence: 'a qemu-ga error reply',
		});
	});

	it('virtagent: its hello is handed on from its 0xFF, even split just after it; the answer to va.ping is taken whole', () => {
		const before = Buffer.from('noise\n');
		const found = feed(new ProbeScanner(), Buffer.concat([before, hello.subarray(0, 3)]), hello.subarray(3));
		expect(found?.protocol).toBe('virtagent');
		expect(found?.replay.equals(hello)).toBe(true);

		const after = Buffer.from('rest');
		const split = Math.floor(answer.length / 2);
		const byAnswer = feed(new ProbeScanner(), answer.subarray(0, split), Buffer.concat([answer.subarray(split), after]));
		expect(byAnswer).toMatchObject({protocol: 'virtagent', evidence: 'a virtagent answer to va.ping'});
		expect(byAnswer?.replay.equals(after)).toBe(true);
	});

	it('decides nothing on what is neither: JSON that is no reply, nesting over 64, a bare 0xFF, text', () => {
		const scanner = new ProbeScanner();
		expect(
			feed(scanner, '{"foo": 1}\n', `{"return": ${'['.repeat(100)}${']'.repeat(100)}}\n`, '\xff\xff', 'plain text\n', '\xffGET / HTTP/1.1\r\n\r\n'),
		).toBeUndefined();
		// And still decides once the real answer comes.
		expect(feed(scanner, '\xff{"return": 5}\n')?.protocol).toBe('qga');
	});

	it.each([
		['text', 0x78],
		['0xFF', 0xff],
		['{', 0x7b],
	])('stays linear whatever a guest sends before deciding (%s, a byte at a time, costs what a byte into a fresh scanner costs)', (_name, value) => {
		const byte = Buffer.of(value);
		const count = 200_000;
		const time = (work: () => void) => {
			const started = performance.now();
			work();
			return performance.now() - started;
		};

		// Baseline, same run: the cost of one push with nothing kept.
		const fresh = time(() => {
			for (let index = 0; index < count; index++) {
				new ProbeScanner(16 * 1024).push(byte);
			}
		});
		const scanner = new ProbeScanner(16 * 1024);
		let decided = false;
		const kept = time(() => {
			for (let index = 0; index < count; index++) {
				decided ||= scanner.push(byte) !== undefined;
			}
		});
		expect(decided).toBe(false);
		// A window re-scanned on each push would be ~16 KiB of work per byte: thousands of times the baseline.
		expect(kept / fresh).toBeLessThan(20);
		expect(feed(scanner, hello)?.replay.equals(hello)).toBe(true);
	});
});
