/**
 * The frame decoder at its edges (issue #10, mutation round 3): each error's exact message (what
 * the log line and the counters say), the limits at N/N+1, a header's blank line split at every
 * offset, bodies staged across the 16 KiB block, and the stall clock's rules (a header keeps its
 * first deadline, a body's moves only when bytes come).
 */
import {describe, expect, it} from 'vitest';
import type {DecoderEvent} from '../../src/protocol/frame.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import type {FrameLimits} from '../../src/protocol/limits.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const FF = Buffer.of(0xff);

/** Events with errors as `CODE: message` and frames as kind/tag/body text. */
function show(events: readonly DecoderEvent[]): string[] {
	return events.map(event => {
		if (event.type === 'skipped') {
			return `skipped:${event.bytes}`;
		}

		if (event.type === 'error') {
			return `error:${event.error.message}`;
		}

		return `frame:${event.frame.kind}:${event.frame.tag ?? '-'}:${event.frame.body.toString('latin1')}`;
	});
}

function clocked(limits?: Partial<FrameLimits>) {
	const clock = {now: 1000};
	return {clock, decoder: new FrameDecoder(limits, () => clock.now)};
}

const frame = (body: string, tag = 't') => encodeFrame('request', tag, latin1(body));

describe('FrameDecoder: what each error says', () => {
	it('a 0xFF inside a header names how many header bytes it cut, counted over pushes', () => {
		const decoder = new FrameDecoder();
		expect(show(decoder.push(latin1('\xffPOST /RPC2')))).toEqual([]);
		expect(show(decoder.push(latin1(' HTTP\xff')))).toEqual(['error:TRUNCATED_HEADER: 0xFF after 15 header bytes']);
		expect(show(decoder.push(latin1('POST\xff')))).toEqual(['error:TRUNCATED_HEADER: 0xFF after 4 header bytes']);
		expect(show(decoder.push(frame('ok')))).toEqual(['frame:request:t:ok']);
	});

	it('the end of the stream names what it cut: header bytes, or body bytes of the length', () => {
		const decoder = new FrameDecoder();
		decoder.push(latin1('\xffPOST /R'));
		expect(show(decoder.end())).toEqual(['error:TRUNCATED_HEADER: stream ended after 7 header bytes']);
		const whole = frame('0123456789');
		decoder.push(whole.subarray(0, whole.length - 4));
		expect(show(decoder.end())).toEqual(['error:TRUNCATED_BODY: stream ended after 6 of 10 body bytes']);
		expect(decoder.bufferedBytes).toBe(0);
		// A sentinel alone, garbage while resyncing, an unconfirmed v5 prefix: nothing was cut.
		decoder.push(FF);
		expect(show(decoder.end())).toEqual([]);
		decoder.push(latin1('\xffGET / HTTP/1.1\r\n\r\nabc'));
		expect(show(decoder.end())).toEqual([]);
		decoder.push(latin1('HTT'));
		expect(show(decoder.end())).toEqual(['skipped:3']);
		expect(decoder.skippedTotal).toBe(6);
		expect(show(decoder.push(latin1('POST /RPC2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nv5')))).toEqual(['frame:request:-:v5']);
	});

	it('a header past headerMax names the limit; a stall names its limit and what it held', () => {
		const {clock, decoder} = clocked({headerMax: 40, headerStallMs: 500, bodyStallMs: 300});
		expect(show(decoder.push(Buffer.concat([FF, latin1('x'.repeat(45))])))).toEqual(['error:HEADER_TOO_LONG: no CRLFCRLF within 40 bytes', 'skipped:5']);
		decoder.push(latin1('\xffPOST'));
		clock.now += 500;
		expect(show(decoder.checkStall())).toEqual(['error:STALLED_FRAME: header not complete 500 ms after its first byte (4 bytes received)']);
		decoder.push(latin1('\xffPOST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n012'));
		clock.now += 300;
		expect(show(decoder.checkStall(clock.now))).toEqual(['error:STALLED_FRAME: no body bytes for 300 ms (3 of 10 received)']);
	});
});

describe('FrameDecoder: limits at N and N+1', () => {
	it('refuses limits it cannot honour, with the reason', () => {
		expect(() => new FrameDecoder({headerMax: 15})).toThrow(new RangeError('headerMax must be an integer >= 16, got 15'));
		expect(() => new FrameDecoder({headerMax: 16.5})).toThrow(new RangeError('headerMax must be an integer >= 16, got 16.5'));
		expect(() => new FrameDecoder({headerMax: 2 ** 53})).toThrow(RangeError);
		expect(() => new FrameDecoder({bodyMax: -1})).toThrow(new RangeError('bodyMax must be an integer >= 0, got -1'));
		expect(() => new FrameDecoder({bodyMax: 1.5})).toThrow(new RangeError('bodyMax must be an integer >= 0, got 1.5'));
		expect(() => new FrameDecoder({headerStallMs: -1})).toThrow(new RangeError('headerStallMs must be a positive number of milliseconds, got -1'));
		expect(() => new FrameDecoder({bodyStallMs: 0})).toThrow(new RangeError('bodyStallMs must be a positive number of milliseconds, got 0'));
		expect(() => new FrameDecoder({headerMax: 16, bodyMax: 0, headerStallMs: 0.5, bodyStallMs: 0.5})).not.toThrow();
	});

	it('headerMax 16 reads a 16-byte header; bodyMax 0 takes only empty bodies', () => {
		const decoder = new FrameDecoder({headerMax: 16, bodyMax: 0});
		// `HTTP/1.1 200\r\n\r\n` is 16 bytes; it has no Content-Length, but it is not too long.
		expect(show(decoder.push(latin1('\xffHTTP/1.1 200\r\n\r\n')))[0]).toMatch(/^error:MISSING_CONTENT_LENGTH/u);
		expect(show(decoder.push(latin1('\xffHTTP/1.1 200 \r\n\r\n')))).toEqual(['error:HEADER_TOO_LONG: no CRLFCRLF within 16 bytes', 'skipped:1']);
	});

	it('a header whose blank line is split at every offset, or comes byte by byte, is read the same', () => {
		const whole = frame('body', 'split');
		const headerEnd = whole.indexOf('\r\n\r\n') + 4;
		for (let cut = 1; cut < whole.length; cut++) {
			const decoder = new FrameDecoder({headerMax: headerEnd - 1});
			const events = [...decoder.push(whole.subarray(0, cut)), ...decoder.push(whole.subarray(cut))];
			expect(show(events), `cut at ${cut}`).toEqual(['frame:request:split:body']);
		}

		for (const at of [headerEnd - 4, headerEnd - 3, headerEnd - 2, headerEnd - 1]) {
			const decoder = new FrameDecoder();
			const events = [...decoder.push(whole.subarray(0, at))];
			for (let index = at; index < whole.length; index++) {
				events.push(...decoder.push(whole.subarray(index, index + 1)));
			}

			expect(show(events)).toEqual(['frame:request:split:body']);
		}
	});

	it('a header of exactly headerMax bytes arriving in pieces is read; one byte more is refused', () => {
		const whole = frame('b');
		const headerBytes = whole.indexOf('\r\n\r\n') + 4 - 1;
		const exact = new FrameDecoder({headerMax: headerBytes});
		expect(show([...exact.push(whole.subarray(0, 10)), ...exact.push(whole.subarray(10))])).toEqual(['frame:request:t:b']);
		const short = new FrameDecoder({headerMax: headerBytes - 1});
		expect(show([...short.push(whole.subarray(0, 10)), ...short.push(whole.subarray(10))])).toEqual([
			`error:HEADER_TOO_LONG: no CRLFCRLF within ${headerBytes - 1} bytes`,
			'skipped:2',
		]);
		expect(show(short.push(whole.subarray(0, 1)))).toEqual([]);
		expect(short.bufferedBytes).toBe(0);
	});

	it('a header ending in a CRLF pair that was split as CR | LF CR LF is found, and none is invented across a 0xFF', () => {
		const decoder = new FrameDecoder();
		const head = latin1('\xffHTTP/1.1 200 OK\r\nContent-Length: 1\r');
		expect(show([...decoder.push(head), ...decoder.push(latin1('\n\r\nZ'))])).toEqual(['frame:response:-:Z']);
		const cut = new FrameDecoder();
		expect(show([...cut.push(latin1('\xffHTTP/1.1 200 OK\r\n')), ...cut.push(latin1('\xff\r\n'))])).toEqual([
			'error:TRUNCATED_HEADER: 0xFF after 17 header bytes',
		]);
		expect(cut.bufferedBytes).toBe(2);
	});
});

describe('FrameDecoder: bodies', () => {
	it('a body inside one chunk is a view of it; one in pieces is joined into its own buffer', () => {
		const whole = frame('0123456789');
		const body = (events: readonly DecoderEvent[]) => (events[0]?.type === 'frame' ? events[0].frame.body : Buffer.alloc(0));
		const view = body(new FrameDecoder().push(whole));
		const decoder = new FrameDecoder();
		decoder.push(whole.subarray(0, -3));
		const joined = body(decoder.push(whole.subarray(-3)));
		whole[whole.length - 1] = 0x21;
		expect(view.toString()).toBe('012345678!');
		expect(joined.toString()).toBe('0123456789');
	});

	it('stages small pieces across the 16 KiB block and takes big ones whole, in order', () => {
		const sizes = [1, 16_383, 1, 16_384, 5, 40_000, 16_383, 16_385, 3];
		const total = sizes.reduce((sum, size) => sum + size, 0);
		const body = Buffer.alloc(total);
		for (let index = 0; index < total; index++) {
			body[index] = (index * 7 + (index >> 8)) & 0xff;
		}

		const whole = encodeFrame('response', 'big', body);
		const headerEnd = whole.indexOf('\r\n\r\n') + 4;
		const decoder = new FrameDecoder();
		const events: DecoderEvent[] = [...decoder.push(whole.subarray(0, headerEnd))];
		let at = headerEnd;
		for (const size of sizes) {
			events.push(...decoder.push(whole.subarray(at, at + size)));
			at += size;
			expect(decoder.bufferedBytes).toBe(at < whole.length ? at - headerEnd : 0);
		}

		expect(events).toHaveLength(1);
		const [event] = events;
		expect(event?.type === 'frame' && event.frame.body.equals(body)).toBe(true);
		// The decoder is clean afterwards: a small two-piece body reads right after.
		const next = frame('abc');
		expect(show([...decoder.push(next.subarray(0, -1)), ...decoder.push(next.subarray(-1))])).toEqual(['frame:request:t:abc']);
	});

	it('a body piece exactly as big as the rest of the body, and a chunk holding a body end and the next frame', () => {
		const first = frame('0123456789', 'a');
		const second = frame('xyz', 'b');
		const decoder = new FrameDecoder();
		decoder.push(first.subarray(0, -5));
		expect(show(decoder.push(Buffer.concat([first.subarray(-5), second])))).toEqual(['frame:request:a:0123456789', 'frame:request:b:xyz']);
	});
});

describe('FrameDecoder: the stall clock', () => {
	it('a header keeps the deadline of its first byte; an empty push moves nothing', () => {
		const {clock, decoder} = clocked({headerStallMs: 100, bodyStallMs: 50});
		const whole = frame('0123456789');
		decoder.push(whole.subarray(0, 5));
		expect(decoder.stallDeadline).toBe(1100);
		clock.now = 1090;
		decoder.push(whole.subarray(5, 8));
		decoder.push(Buffer.alloc(0));
		expect(decoder.stallDeadline).toBe(1100);
		const headerEnd = whole.indexOf('\r\n\r\n') + 4;
		decoder.push(whole.subarray(8, headerEnd + 2));
		expect(decoder.stallDeadline).toBe(1140);
		clock.now = 1130;
		expect(decoder.push(Buffer.alloc(0))).toEqual([]);
		expect(decoder.stallDeadline).toBe(1140);
		decoder.push(whole.subarray(headerEnd + 2, headerEnd + 3));
		expect(decoder.stallDeadline).toBe(1180);
		clock.now = 1179;
		expect(decoder.checkStall()).toEqual([]);
		expect(show(decoder.checkStall(1180))).toEqual(['error:STALLED_FRAME: no body bytes for 50 ms (3 of 10 received)']);
	});

	it('a header completed into a body in one push starts the body clock at that push', () => {
		const {clock, decoder} = clocked({headerStallMs: 100, bodyStallMs: 50});
		const whole = frame('0123456789');
		decoder.push(whole.subarray(0, 3));
		clock.now = 1070;
		const headerEnd = whole.indexOf('\r\n\r\n') + 4;
		decoder.push(whole.subarray(3, headerEnd));
		expect(decoder.bufferedBytes).toBe(0);
		expect(decoder.stallDeadline).toBe(1120);
		clock.now = 1119;
		expect(show(decoder.push(whole.subarray(headerEnd)))).toEqual(['frame:request:t:0123456789']);
		expect(decoder.stallDeadline).toBeUndefined();
	});

	it('a push after the deadline drops the stalled message first and reads its own bytes afresh', () => {
		const {clock, decoder} = clocked({headerStallMs: 100});
		decoder.push(latin1('\xffPOST /RPC2 HT'));
		clock.now = 1100;
		expect(show(decoder.push(frame('ok')))).toEqual([
			'error:STALLED_FRAME: header not complete 100 ms after its first byte (13 bytes received)',
			'frame:request:t:ok',
		]);
		expect(decoder.errorCounts.get('STALLED_FRAME')).toBe(1);
		expect(decoder.stallDeadline).toBeUndefined();
	});

	it('whole frames read no clock at all; the clock is read once per push while a message is started', () => {
		let reads = 0;
		const decoder = new FrameDecoder({}, () => {
			reads++;
			return 5;
		});
		decoder.push(Buffer.concat([frame('a'), frame('b'), FF]));
		expect(reads).toBe(0);
		decoder.push(frame('abc').subarray(0, -1));
		expect(reads).toBe(1);
		decoder.push(latin1('c'));
		expect(reads).toBe(2);
		expect(decoder.stallDeadline).toBeUndefined();
	});
});

describe('FrameDecoder: survivors of the first run, killed', () => {
	it('a v5 prefix that turns out to be garbage leaves no deadline behind', () => {
		const {clock, decoder} = clocked({headerStallMs: 100});
		decoder.push(latin1('POS'));
		expect(decoder.stallDeadline).toBe(1100);
		expect(show(decoder.push(latin1('X')))).toEqual(['skipped:4']);
		expect(decoder.stallDeadline).toBeUndefined();
		clock.now = 5000;
		expect(decoder.checkStall()).toEqual([]);
	});

	it('a 0xFF just before the blank line, in one chunk, cuts the header there (the fast path does not take it)', () => {
		const decoder = new FrameDecoder();
		expect(show(decoder.push(latin1('\xffPOST / HTTP/1.1\r\nContent-Length: 5\xff\r\n\r\nhello')))).toEqual([
			'error:TRUNCATED_HEADER: 0xFF after 34 header bytes',
			'error:BAD_START_LINE: not a request or response: ""',
			'skipped:5',
		]);
	});

	it('copies small body pieces into its own block (a trickling peer pins none of its chunks) and keeps pieces of 16 KiB or more by reference', () => {
		const sizes = [100, 16_383, 16_384, 20_000, 7];
		const total = sizes.reduce((sum, size) => sum + size, 0);
		const whole = encodeFrame('response', 'p', Buffer.alloc(total, 0x61));
		const headerEnd = whole.indexOf('\r\n\r\n') + 4;
		const decoder = new FrameDecoder();
		decoder.push(whole.subarray(0, headerEnd));
		const pieces: Buffer[] = [];
		let at = headerEnd;
		const events: DecoderEvent[] = [];
		for (const size of sizes) {
			const piece = Buffer.from(whole.subarray(at, at + size));
			pieces.push(piece);
			events.push(...decoder.push(piece));
			piece.fill(0x7a); // the caller breaks the rule: only pieces held by reference change
			at += size;
		}

		const body = events[0]?.type === 'frame' ? events[0].frame.body : Buffer.alloc(0);
		expect(body).toHaveLength(total);
		let from = 0;
		const seen = sizes.map(size => {
			const part = body.subarray(from, from + size);
			from += size;
			return part.every(byte => byte === 0x7a) ? 'reference' : part.every(byte => byte === 0x61) ? 'copy' : 'mixed';
		});
		expect(seen).toEqual(['copy', 'copy', 'reference', 'reference', 'copy']);
	});

	it('a body trickled a byte at a time fills 16 KiB blocks, not one block per byte', () => {
		const length = 100_000;
		const whole = encodeFrame('response', 't', Buffer.alloc(length, 0x62));
		const headerEnd = whole.indexOf('\r\n\r\n') + 4;
		const decoder = new FrameDecoder();
		decoder.push(whole.subarray(0, headerEnd));
		const before = process.memoryUsage().arrayBuffers;
		for (let index = headerEnd; index < whole.length - 1; index++) {
			decoder.push(whole.subarray(index, index + 1));
		}

		// 100,000 bytes held in 16 KiB blocks; a block per byte would be 1.6 GB.
		expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
		expect(decoder.bufferedBytes).toBe(length - 1);
		const [event] = decoder.push(whole.subarray(-1));
		expect(event?.type === 'frame' && event.frame.body.equals(Buffer.alloc(length, 0x62))).toBe(true);
	});
});
