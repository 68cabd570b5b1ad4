import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import type {DecoderEvent, Frame, FrameKind} from '../../src/protocol/frame.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {defaultFrameLimits, type FrameLimits} from '../../src/protocol/limits.js';

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const FF = latin1('\xff');

/** A raw header (no sentinel): start line, lines, blank line. */
const header = (start: string, ...lines: string[]) => latin1([start, ...lines, '', ''].join('\r\n'));
const reqLine = 'POST /RPC2 HTTP/1.1';
const resLine = 'HTTP/1.1 200 OK';

/** Events as short strings; consecutive skipped runs merged so chunking does not matter. */
function summarize(events: readonly DecoderEvent[]): string[] {
	const out: string[] = [];
	let skipped = 0;
	for (const e of events) {
		if (e.type === 'skipped') {
			skipped += e.bytes;
			continue;
		}
		if (skipped > 0) out.push(`skipped:${skipped}`);
		skipped = 0;
		out.push(e.type === 'error' ? `error:${e.error.code}` : `frame:${e.frame.kind}:${e.frame.tag ?? '-'}:${e.frame.body.toString('latin1')}`);
	}
	if (skipped > 0) out.push(`skipped:${skipped}`);
	return out;
}

function frames(events: readonly DecoderEvent[]): Frame[] {
	return events.flatMap(e => (e.type === 'frame' ? [e.frame] : []));
}

/** Push `stream` cut at `cuts` (sorted offsets), then end(); checks the buffer bound as it goes. */
function decodeCut(stream: Buffer, cuts: readonly number[], limits?: Partial<FrameLimits>): DecoderEvent[] {
	const decoder = new FrameDecoder(limits);
	const {headerMax, bodyMax} = {...defaultFrameLimits, ...limits};
	const events: DecoderEvent[] = [];
	let from = 0;
	for (const to of [...cuts, stream.length]) {
		events.push(...decoder.push(stream.subarray(from, to)));
		if (decoder.bufferedBytes >= Math.max(headerMax, bodyMax)) {
			throw new Error(`bufferedBytes ${decoder.bufferedBytes} over bound`);
		}
		from = to;
	}
	events.push(...decoder.end());
	expect(decoder.bufferedBytes).toBe(0);
	return events;
}

function decodeBytewise(stream: Buffer, limits?: Partial<FrameLimits>): DecoderEvent[] {
	const decoder = new FrameDecoder(limits);
	const events: DecoderEvent[] = [];
	for (let i = 0; i < stream.length; i++) events.push(...decoder.push(stream.subarray(i, i + 1)));
	events.push(...decoder.end());
	return events;
}

type Message = {readonly kind: FrameKind; readonly tag: string | undefined; readonly body: Buffer};

function xmlBody(size: number, seed: number): Buffer {
	const unit = `<value><string>é✓日本${seed}🎉</string></value>`;
	return Buffer.from(`<?xml version="1.0"?><methodCall>${unit.repeat(Math.ceil(size / 40))}</methodCall>`);
}

const smallMessages: readonly Message[] = [
	{kind: 'request', tag: '1', body: xmlBody(200, 1)},
	{kind: 'response', tag: '1', body: Buffer.alloc(0)},
	{kind: 'request', tag: '1299540269.123456', body: latin1('x')},
	{kind: 'response', tag: undefined, body: Buffer.from('héllo wörld ✓', 'utf8')},
	// Bodies are never scanned: a binary body may hold 0xFF and even a whole fake header.
	{kind: 'request', tag: 'bin', body: Buffer.concat([FF, header(reqLine, 'Content-Length: 3'), FF])},
	{kind: 'response', tag: 'z', body: xmlBody(600, 2)},
];
const messages: readonly Message[] = [
	...smallMessages,
	{kind: 'request', tag: 'big', body: xmlBody(100_000, 3)},
	{kind: 'response', tag: 'big', body: xmlBody(60_000, 4)},
	{kind: 'request', tag: 'after-big', body: latin1('<ok/>')},
];

const streamOf = (list: readonly Message[]) => Buffer.concat(list.map(m => encodeFrame(m.kind, m.tag, m.body)));
/**
 * Asserts the events are exactly `list`, decoded. Plain comparisons: deep-equal on 100 KB
 * Buffers is far too slow for thousands of runs. Our writer sends `none` for no tag and the
 * reader keeps the literal value.
 */
function expectMessages(events: readonly DecoderEvent[], list: readonly Message[], where = ''): void {
	const got = summarize(events.map(e => (e.type === 'frame' ? {...e, frame: {...e.frame, body: Buffer.alloc(0)}} : e)));
	const want = list.map(m => `frame:${m.kind}:${m.tag ?? 'none'}:`);
	if (got.join('|') !== want.join('|')) expect(got, where).toEqual(want);
	events.forEach((e, i) => {
		if (e.type !== 'frame' || !e.frame.body.equals(list[i]!.body)) {
			throw new Error(`${where} frame ${i}: body differs`);
		}
	});
}

describe('FrameDecoder: reassembly', () => {
	const small = streamOf(smallMessages);
	const big = streamOf(messages);

	it('decodes a whole stream pushed at once', () => {
		expect(messages[6]!.body.length).toBeGreaterThan(100_000);
		expectMessages(decodeCut(big, []), messages);
	});

	it('decodes the small stream split in two at every possible point', () => {
		for (let cut = 0; cut <= small.length; cut++) {
			expectMessages(decodeCut(small, [cut]), smallMessages, `cut at ${cut}`);
		}
	});

	it('decodes the small stream split in three at many points', () => {
		for (let a = 0; a <= small.length; a += 7) {
			for (let b = a; b <= small.length; b += 13) {
				expectMessages(decodeCut(small, [a, b]), smallMessages, `cuts at ${a}, ${b}`);
			}
		}
	});

	it('decodes the whole stream pushed byte by byte', () => {
		expectMessages(decodeBytewise(big), messages);
	});

	it('decodes the whole stream at random chunk sizes', () => {
		fc.assert(
			fc.property(fc.array(fc.integer({min: 1, max: 70_000}), {minLength: 1, maxLength: 40}), sizes => {
				const cuts: number[] = [];
				for (let at = 0, i = 0; at < big.length; i++) {
					at += sizes[i % sizes.length]!;
					if (at < big.length) cuts.push(at);
				}
				expectMessages(decodeCut(big, cuts), messages, `cuts ${cuts.join(',')}`);
			}),
			{numRuns: 150},
		);
	});

	it('reports bufferedBytes for a partial body and releases it once complete', () => {
		const frame = encodeFrame('request', 't', Buffer.alloc(1000, 0x61));
		const decoder = new FrameDecoder();
		expect(decoder.push(frame.subarray(0, frame.length - 400))).toEqual([]);
		expect(decoder.bufferedBytes).toBe(600);
		expect(decoder.push(frame.subarray(frame.length - 400))).toHaveLength(1);
		expect(decoder.bufferedBytes).toBe(0);
	});
});

type Row = {
	readonly name: string;
	readonly input: Buffer;
	/** Call end() after the input (the stream is cut), before the trailing valid frame. */
	readonly endAfter?: boolean;
	readonly events: readonly string[];
};

const body5 = latin1('hello');
const withTag = (tag: string) => Buffer.concat([FF, header(reqLine, 'Content-Length: 5', `X-Virtagent-Client-Tag: ${tag}`), body5]);
/** A tag outside the grammar (PROTOCOL.md §2): the message is dropped, its body skipped. */
const malformedTag = (name: string, tag: string): Row => ({name, input: withTag(tag), events: ['error:MALFORMED_HEADER', 'skipped:5']});
const withCl = (cl: string) => Buffer.concat([FF, header(reqLine, `Content-Length: ${cl}`), body5]);
const v5Request = Buffer.concat([header(reqLine, 'Content-Type: text/xml', 'Content-Length: 5'), body5]);
const v5Response = Buffer.concat([header(resLine, 'Content-Type: text/xml', 'Content-Length: 5'), body5]);
const padTo = (size: number) => {
	// A header of exactly `size` bytes (sentinel excluded) with a valid Content-Length.
	const base = header(reqLine, 'Content-Length: 5', 'X-Pad: ').length;
	return Buffer.concat([FF, header(reqLine, 'Content-Length: 5', `X-Pad: ${'p'.repeat(size - base)}`), body5]);
};
const valid = encodeFrame('response', 'next', latin1('<valid/>'));
const VALID = 'frame:response:next:<valid/>';

const rows: readonly Row[] = [
	// Resync and sentinels
	{name: 'garbage before the sentinel', input: latin1('hello garbage'), events: ['skipped:13']},
	{name: 'garbage that looks like a header, mid-stream', input: Buffer.concat([latin1('xy'), v5Request]), events: [`skipped:${2 + v5Request.length}`]},
	{name: 'a 0xFF mid-header', input: latin1('\xffPOST /RPC2 HTTP/1.1\r\nContent-Le'), events: ['error:TRUNCATED_HEADER']},
	{name: 'a 0xFF right after the start line', input: latin1('\xffHTTP/1.1 200 OK\r\n'), events: ['error:TRUNCATED_HEADER']},
	{name: 'repeated sentinels (v7 trailing 0xFF) are absorbed', input: latin1('\xff\xff\xff'), events: []},
	{name: 'v7 frame with its trailing 0xFF', input: Buffer.concat([encodeFrame('request', 'v7', body5), FF]), events: ['frame:request:v7:hello']},
	// v5 peers (no sentinel, no tag)
	{name: 'v5 request without sentinel at stream start', input: v5Request, events: ['frame:request:-:hello']},
	{name: 'v5 response without sentinel at stream start', input: v5Response, events: ['frame:response:-:hello']},
	{name: 'v5 header right after a complete frame', input: Buffer.concat([v5Response, v5Request]), events: ['frame:response:-:hello', 'frame:request:-:hello']},
	{
		name: 'v5 header after an error is skipped, not accepted',
		input: Buffer.concat([withCl('x'), v5Request]),
		events: ['error:BAD_CONTENT_LENGTH', `skipped:${5 + v5Request.length}`],
	},
	{name: 'a start that is almost `POST `', input: latin1('POSTX'), events: ['skipped:5']},
	{name: 'a `PO` cut short by a sentinel is garbage', input: latin1('PO'), events: ['skipped:2']},
	{name: 'a `HTTP` cut short by a sentinel is garbage', input: latin1('HTTP'), events: ['skipped:4']},
	// Header syntax
	{
		name: 'lowercase header names',
		input: Buffer.concat([FF, header(reqLine, 'content-length: 5', 'x-virtagent-client-tag: low'), body5]),
		events: ['frame:request:low:hello'],
	},
	{
		name: 'uppercase header names',
		input: Buffer.concat([FF, header(resLine, 'CONTENT-LENGTH: 5', 'X-VIRTAGENT-CLIENT-TAG: UP'), body5]),
		events: ['frame:response:UP:hello'],
	},
	{
		name: 'extra unknown headers',
		input: Buffer.concat([FF, header(reqLine, 'X-Foo: bar', 'Content-Type: application/json', 'Content-Length: 5', 'Host: x'), body5]),
		events: ['frame:request:-:hello'],
	},
	{name: 'missing tag', input: withCl('5'), events: ['frame:request:-:hello']},
	{name: 'empty tag', input: withTag(''), events: ['frame:request:-:hello']},
	{name: 'tag `none` is kept literally', input: withTag('none'), events: ['frame:request:none:hello']},
	{
		name: 'spaces and tabs around values',
		input: Buffer.concat([FF, header(reqLine, 'Content-Length:\t 5 \t', 'X-Virtagent-Client-Tag:   t1  '), body5]),
		events: ['frame:request:t1:hello'],
	},
	{name: 'Content-Length: 0', input: Buffer.concat([FF, header(resLine, 'Content-Length: 0')]), events: ['frame:response:-:']},
	{name: 'leading zeros in Content-Length', input: withCl('005'), events: ['frame:request:-:hello']},
	{
		name: 'duplicate agreeing Content-Length',
		input: Buffer.concat([FF, header(reqLine, 'Content-Length: 5', 'content-length: 05'), body5]),
		events: ['frame:request:-:hello'],
	},
	{name: 'HTTP/1.0 and no reason phrase', input: Buffer.concat([FF, header('HTTP/1.0 200', 'Content-Length: 5'), body5]), events: ['frame:response:-:hello']},
	{name: 'header of exactly 4096 bytes', input: padTo(4096), events: ['frame:request:-:hello']},
	// HEADER_TOO_LONG: 4096 bytes are read, then the rest (1 header byte + body) is skipped
	{name: 'header of 4097 bytes', input: padTo(4097), events: ['error:HEADER_TOO_LONG', 'skipped:6']},
	{name: 'endless header', input: Buffer.concat([FF, latin1('a'.repeat(10_000))]), events: ['error:HEADER_TOO_LONG', `skipped:${10_000 - 4096}`]},
	// BAD_START_LINE
	{name: 'GET / HTTP/1.1', input: Buffer.concat([FF, header('GET / HTTP/1.1', 'Content-Length: 5'), body5]), events: ['error:BAD_START_LINE', 'skipped:5']},
	{name: 'POST without version', input: Buffer.concat([FF, header('POST /RPC2', 'Content-Length: 5'), body5]), events: ['error:BAD_START_LINE', 'skipped:5']},
	{name: 'HTTP/2 response', input: Buffer.concat([FF, header('HTTP/2 200 OK', 'Content-Length: 5'), body5]), events: ['error:BAD_START_LINE', 'skipped:5']},
	{name: 'empty start line', input: Buffer.concat([FF, latin1('\r\n\r\n'), body5]), events: ['error:BAD_START_LINE', 'skipped:5']},
	{
		name: 'bare LF inside the start line',
		input: Buffer.concat([FF, header('POST /RPC2 HTTP/1.1\nContent-Length: 5'), body5]),
		events: ['error:BAD_START_LINE', 'skipped:5'],
	},
	// MALFORMED_HEADER
	{
		name: 'header line without colon',
		input: Buffer.concat([FF, header(reqLine, 'Content-Length: 5', 'oops'), body5]),
		events: ['error:MALFORMED_HEADER', 'skipped:5'],
	},
	{
		name: 'bare LF between header lines',
		input: Buffer.concat([FF, header(reqLine, 'Content-Type: text/xml\nContent-Length: 5'), body5]),
		events: ['error:MALFORMED_HEADER', 'skipped:5'],
	},
	{name: 'space before the colon', input: Buffer.concat([FF, header(reqLine, 'Content-Length : 5'), body5]), events: ['error:MALFORMED_HEADER', 'skipped:5']},
	{
		name: 'folded header line',
		input: Buffer.concat([FF, header(reqLine, 'Content-Length: 5', ' folded'), body5]),
		events: ['error:MALFORMED_HEADER', 'skipped:5'],
	},
	malformedTag('a tag with a space', 'a b'),
	malformedTag('a tag with a byte >= 0x80', 'caf\xe9'),
	malformedTag('a tag with a colon', 'a:b'),
	malformedTag('a tag with a control', 'a\x1bb'),
	malformedTag('a tag of 65 characters', 't'.repeat(65)),
	{
		name: 'a tag of 64 characters',
		input: withTag('t'.repeat(64)),
		events: [`frame:request:${'t'.repeat(64)}:hello`],
	},
	{
		name: 'canonical header, tag of 65 characters',
		input: Buffer.concat([
			FF,
			latin1(`POST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 5\r\nX-Virtagent-Client-Tag: ${'t'.repeat(65)}\r\n\r\n`),
			body5,
		]),
		events: ['error:MALFORMED_HEADER', 'skipped:5'],
	},
	{
		name: 'conflicting tags',
		input: Buffer.concat([FF, header(reqLine, 'Content-Length: 5', 'X-Virtagent-Client-Tag: a', 'X-Virtagent-Client-Tag: b'), body5]),
		events: ['error:MALFORMED_HEADER', 'skipped:5'],
	},
	// MISSING_CONTENT_LENGTH
	{
		name: 'no Content-Length',
		input: Buffer.concat([FF, header(reqLine, 'Content-Type: text/xml'), body5]),
		events: ['error:MISSING_CONTENT_LENGTH', 'skipped:5'],
	},
	{name: 'start line only', input: Buffer.concat([FF, header(resLine), body5]), events: ['error:MISSING_CONTENT_LENGTH', 'skipped:5']},
	// BAD_CONTENT_LENGTH
	...['-1', 'abc', '+5', '5 5', '', '5, 5', '0x5', '5.0', '99999999999999999999', '5\x00'].map((cl): Row => ({
		name: `Content-Length: ${JSON.stringify(cl)}`,
		input: withCl(cl),
		events: ['error:BAD_CONTENT_LENGTH', 'skipped:5'],
	})),
	{
		name: 'conflicting Content-Length',
		input: Buffer.concat([FF, header(reqLine, 'Content-Length: 5', 'Content-Length: 6'), body5]),
		events: ['error:BAD_CONTENT_LENGTH', 'skipped:5'],
	},
	// BODY_TOO_LONG (default bodyMax 2 MiB); the body bytes are skipped up to the next 0xFF
	{name: 'Content-Length over 2 MiB', input: withCl('2097153'), events: ['error:BODY_TOO_LONG', 'skipped:5']},
	{name: 'Content-Length of 15 digits', input: withCl('999999999999999'), events: ['error:BODY_TOO_LONG', 'skipped:5']},
	// Stream ends (end() is called after the input; the valid frame then starts a new stream)
	{name: 'stream ends mid-body', input: withCl('10'), endAfter: true, events: ['error:TRUNCATED_BODY']},
	{name: 'stream ends right after the header', input: withCl('5').subarray(0, -5), endAfter: true, events: ['error:TRUNCATED_BODY']},
	{name: 'stream ends mid-header', input: latin1('\xffPOST /RPC2 HT'), endAfter: true, events: ['error:TRUNCATED_HEADER']},
	{name: 'stream ends mid v5 header', input: latin1('HTTP/1.1 2'), endAfter: true, events: ['error:TRUNCATED_HEADER']},
	{name: 'stream ends in garbage', input: latin1('zzz'), endAfter: true, events: ['skipped:3']},
	{name: 'stream ends in a `PO` that never became a header', input: latin1('PO'), endAfter: true, events: ['skipped:2']},
	{name: 'stream ends after a lone sentinel', input: FF, endAfter: true, events: []},
];

describe('FrameDecoder: malformed input, each followed by a valid frame', () => {
	const run = (row: Row, push: (d: FrameDecoder, b: Buffer) => DecoderEvent[]) => {
		const decoder = new FrameDecoder();
		const events = push(decoder, row.input);
		if (row.endAfter) events.push(...decoder.end());
		events.push(...push(decoder, valid), ...decoder.end());
		expect(summarize(events)).toEqual([...row.events, VALID]);
		const skipped = row.events.reduce((n, e) => n + (e.startsWith('skipped:') ? Number(e.slice(8)) : 0), 0);
		expect(decoder.skippedTotal).toBe(skipped);
		expect(decoder.bufferedBytes).toBe(0);
	};

	it.each(rows)('$name (whole)', row => run(row, (d, b) => d.push(b)));

	it.each(rows)('$name (byte by byte)', row => {
		run(row, (d, b) => {
			const out: DecoderEvent[] = [];
			for (let i = 0; i < b.length; i++) out.push(...d.push(b.subarray(i, i + 1)));
			return out;
		});
	});

	it('every named error has at least one row', () => {
		const codes = new Set(rows.flatMap(r => r.events.filter(e => e.startsWith('error:'))));
		expect([...codes].sort()).toEqual(
			[
				'BAD_CONTENT_LENGTH',
				'BAD_START_LINE',
				'BODY_TOO_LONG',
				'HEADER_TOO_LONG',
				'MALFORMED_HEADER',
				'MISSING_CONTENT_LENGTH',
				'TRUNCATED_BODY',
				'TRUNCATED_HEADER',
			].map(c => `error:${c}`),
		);
	});

	it('reports one skipped event per run, at the end of the run or of the push', () => {
		const decoder = new FrameDecoder();
		expect(decoder.push(latin1('abc'))).toEqual([{type: 'skipped', bytes: 3}]);
		const events = decoder.push(Buffer.concat([latin1('de'), valid, latin1('!!'), FF, latin1('\r\n\r\n'), latin1('q')]));
		expect(summarize(events)).toEqual(['skipped:2', VALID, 'skipped:2', 'error:BAD_START_LINE', 'skipped:1']);
		expect(events[0]).toEqual({type: 'skipped', bytes: 2});
		expect(decoder.skippedTotal).toBe(8);
	});

	it('carries the error code and a message on a FramingError', () => {
		const [event] = new FrameDecoder().push(withCl('-1'));
		expect(event?.type).toBe('error');
		if (event?.type !== 'error') return;
		expect(event.error.name).toBe('FramingError');
		expect(event.error.code).toBe('BAD_CONTENT_LENGTH');
		expect(event.error.message).toMatch(/^BAD_CONTENT_LENGTH: .*-1/);
	});
});

describe('FrameDecoder: limits', () => {
	it('enforces a smaller bodyMax', () => {
		const limits = {bodyMax: 10};
		const at10 = encodeFrame('request', 'a', Buffer.alloc(10, 0x62));
		const at11 = encodeFrame('request', 'b', Buffer.alloc(11, 0x62));
		expect(summarize(decodeCut(Buffer.concat([at10, at11, valid]), [], limits))).toEqual([
			`frame:request:a:${'b'.repeat(10)}`,
			'error:BODY_TOO_LONG',
			'skipped:11',
			VALID,
		]);
	});

	it('the general path (a header our writer would not send) takes a body of exactly bodyMax, not one more', () => {
		const limits = {bodyMax: 10};
		const general = (tag: string, size: number) =>
			Buffer.concat([FF, header(reqLine, `content-length: ${size}`, `x-virtagent-client-tag: ${tag}`, 'X-Extra: 1'), Buffer.alloc(size, 0x62)]);
		expect(summarize(decodeCut(Buffer.concat([general('a', 10), general('b', 11), valid]), [], limits))).toEqual([
			`frame:request:a:${'b'.repeat(10)}`,
			'error:BODY_TOO_LONG',
			'skipped:11',
			VALID,
		]);
		// And at the default limit, a 2 MiB body.
		const max = defaultFrameLimits.bodyMax;
		const events = new FrameDecoder().push(general('m', max));
		expect(events).toHaveLength(1);
		expect(events[0]!.type === 'frame' && events[0]!.frame.body.length).toBe(max);
	});

	it('enforces a smaller headerMax as soon as it is reached', () => {
		const decoder = new FrameDecoder({headerMax: 100});
		const head = header(reqLine, 'Content-Length: 5', 'X-Pad: ');
		const exact = Buffer.concat([FF, header(reqLine, 'Content-Length: 5', `X-Pad: ${'p'.repeat(100 - head.length)}`), body5]);
		expect(summarize(decoder.push(exact))).toEqual(['frame:request:-:hello']);
		// 100 header bytes without CRLFCRLF: rejected on arrival, nothing held.
		expect(summarize(decoder.push(Buffer.concat([FF, latin1('POST /RPC2 HTTP/1.1\r\n'.padEnd(100, 'x'))])))).toEqual(['error:HEADER_TOO_LONG']);
		expect(decoder.bufferedBytes).toBe(0);
		expect(summarize(decoder.push(Buffer.concat([latin1('\r\n\r\n'), valid])))).toEqual(['skipped:4', VALID]);
	});

	it('detects an over-long default header on its 4096th byte, not later', () => {
		const decoder = new FrameDecoder();
		expect(decoder.push(Buffer.concat([FF, latin1('a'.repeat(4095))]))).toEqual([]);
		expect(decoder.bufferedBytes).toBe(4095);
		expect(summarize(decoder.push(latin1('a')))).toEqual(['error:HEADER_TOO_LONG']);
		expect(decoder.bufferedBytes).toBe(0);
	});

	it('holds nothing for a flood of garbage and never more than bodyMax for a huge body', () => {
		const decoder = new FrameDecoder();
		const junk = Buffer.alloc(1 << 20, 0x41);
		for (let i = 0; i < 8; i++) {
			expect(decoder.push(junk)).toEqual([{type: 'skipped', bytes: 1 << 20}]);
			expect(decoder.bufferedBytes).toBe(0);
		}
		const max = defaultFrameLimits.bodyMax;
		const frame = encodeFrame('response', 'huge', Buffer.alloc(max, 0x42));
		const events: DecoderEvent[] = [];
		for (let at = 0; at < frame.length; at += 65_536) {
			events.push(...decoder.push(frame.subarray(at, at + 65_536)));
			expect(decoder.bufferedBytes).toBeLessThan(max);
		}
		expect(frames(events).map(f => f.body.length)).toEqual([max]);
		expect(decoder.skippedTotal).toBe(8 << 20);
	});

	it('rejects nonsensical limits', () => {
		expect(() => new FrameDecoder({headerMax: 0})).toThrow(RangeError);
		expect(() => new FrameDecoder({bodyMax: -1})).toThrow(RangeError);
		expect(() => new FrameDecoder({bodyMax: 1.5})).toThrow(RangeError);
	});
});

describe('FrameDecoder: fuzz', () => {
	type Mutation =
		| {readonly op: 'flip' | 'insert'; readonly at: number; readonly byte: number}
		| {readonly op: 'delete' | 'truncate' | 'duplicate'; readonly at: number; readonly length: number};

	const mutate = (bytes: Buffer, mutations: readonly Mutation[]): Buffer => {
		let b = bytes;
		for (const m of mutations) {
			const at = b.length === 0 ? 0 : m.at % b.length;
			switch (m.op) {
				case 'flip':
					b = Buffer.from(b);
					if (b.length > 0) b[at] = m.byte;
					break;
				case 'insert':
					b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
					break;
				case 'delete':
					b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
					break;
				case 'truncate':
					b = b.subarray(0, at);
					break;
				case 'duplicate':
					b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at)]);
					break;
			}
		}
		return b;
	};

	const byteArb = fc.oneof(fc.integer({min: 0, max: 255}), fc.constantFrom(0xff, 0x0d, 0x0a, 0x3a, 0x20, 0x30));
	const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
		fc.record({op: fc.constantFrom('flip' as const, 'insert' as const), at: fc.nat(), byte: byteArb}),
		fc.record({op: fc.constantFrom('delete' as const, 'truncate' as const, 'duplicate' as const), at: fc.nat(), length: fc.integer({min: 1, max: 40})}),
	);
	const frameArb = fc
		.record({
			kind: fc.constantFrom('request' as const, 'response' as const),
			tag: fc.option(fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/), {nil: undefined}),
			body: fc.uint8Array({maxLength: 300}),
			mutations: fc.array(mutationArb, {maxLength: 3}),
		})
		.map(({kind, tag, body, mutations}) => mutate(encodeFrame(kind, tag, Buffer.from(body)), mutations));
	const pieceArb = fc.oneof(
		{arbitrary: frameArb, weight: 4},
		{arbitrary: fc.uint8Array({maxLength: 200}).map(a => Buffer.from(a)), weight: 1},
		{arbitrary: fc.constantFrom('POST ', 'HTTP/', '\xff', '\r\n\r\n', 'Content-Length: 7\r\n').map(latin1), weight: 1},
	);
	const limitsArb = fc.oneof(
		fc.constant<Partial<FrameLimits>>({}),
		fc.record({headerMax: fc.integer({min: 16, max: 160}), bodyMax: fc.integer({min: 0, max: 400})}),
	);

	/** Cuts from sizes, cycling. */
	const cutsOf = (length: number, sizes: readonly number[]) => {
		const cuts: number[] = [];
		for (let at = 0, i = 0; i < 10_000; i++) {
			at += sizes[i % sizes.length]!;
			if (at >= length) break;
			cuts.push(at);
		}
		return cuts;
	};

	/** A frame's body must sit right after a CRLFCRLF whose header declares exactly its length. */
	const declaredBy = (stream: Buffer, body: Buffer, headerMax: number) => {
		const needle = Buffer.concat([latin1('\r\n\r\n'), body]);
		for (let i = stream.indexOf(needle); i >= 0; i = stream.indexOf(needle, i + 1)) {
			const head = stream.subarray(Math.max(0, i - headerMax), i + 2);
			const text = head.subarray(head.lastIndexOf(0xff) + 1).toString('latin1');
			const lengths = [...text.matchAll(/(?:^|\r\n)content-length:[ \t]*([0-9]+)[ \t]*(?=\r\n)/gi)];
			if (lengths.length > 0 && lengths.some(m => Number(m[1]) === body.length)) return true;
		}
		return false;
	};

	it('never throws, respects the buffer bound, and only emits frames the stream declared', () => {
		fc.assert(
			fc.property(
				fc.array(pieceArb, {maxLength: 12}),
				fc.array(fc.integer({min: 1, max: 300}), {minLength: 1, maxLength: 10}),
				limitsArb,
				(pieces, sizes, limits) => {
					const {headerMax, bodyMax} = {...defaultFrameLimits, ...limits};
					const stream = Buffer.concat(pieces);
					const chunked = decodeCut(stream, cutsOf(stream.length, sizes), limits);
					for (const frame of frames(chunked)) {
						expect(frame.body.length).toBeLessThanOrEqual(bodyMax);
						expect(declaredBy(stream, frame.body, headerMax)).toBe(true);
					}
					// Chunking never changes what is decoded.
					expect(summarize(chunked)).toEqual(summarize(decodeCut(stream, [], limits)));
				},
			),
			{numRuns: 2500},
		);
	});

	it('recovers after end(): a valid frame on the next stream always decodes', () => {
		fc.assert(
			fc.property(fc.array(pieceArb, {maxLength: 6}), fc.integer({min: 1, max: 64}), (pieces, size) => {
				const decoder = new FrameDecoder();
				const stream = Buffer.concat(pieces);
				for (let at = 0; at < stream.length; at += size) decoder.push(stream.subarray(at, at + size));
				decoder.end();
				expect(decoder.bufferedBytes).toBe(0);
				expect(summarize(decoder.push(valid))).toEqual([VALID]);
			}),
			{numRuns: 500},
		);
	});
});

describe('FrameDecoder: stalled messages (PROTOCOL.md §2)', () => {
	/** A decoder on a clock the test moves. */
	function clocked(limits?: Partial<FrameLimits>) {
		const clock = {now: 1_000_000};
		return {clock, decoder: new FrameDecoder(limits, () => clock.now)};
	}

	const frame = encodeFrame('request', 'slow', latin1('0123456789'));
	const headerEnd = frame.indexOf('\r\n\r\n') + 4;

	it('defaults to 10 s for both', () => {
		expect(defaultFrameLimits.headerStallMs).toBe(10_000);
		expect(defaultFrameLimits.bodyStallMs).toBe(10_000);
	});

	it('a header trickled byte by byte is dropped 10 s after its first byte, then the next message reads normally', () => {
		const {clock, decoder} = clocked();
		expect(decoder.stallDeadline).toBeUndefined();
		decoder.push(frame.subarray(0, 1)); // the sentinel alone starts nothing
		expect(decoder.stallDeadline).toBeUndefined();
		decoder.push(frame.subarray(1, 2));
		expect(decoder.stallDeadline).toBe(clock.now + 10_000);
		for (let i = 2; i < 40; i++) {
			clock.now += 100; // a byte every 100 ms keeps a body alive, but not a header
			expect(decoder.push(frame.subarray(i, i + 1))).toEqual([]);
		}

		expect(decoder.stallDeadline).toBe(1_000_000 + 10_000);
		clock.now = 1_000_000 + 9_999;
		expect(decoder.checkStall()).toEqual([]);
		clock.now += 1;
		expect(summarize(decoder.checkStall())).toEqual(['error:STALLED_FRAME']);
		expect(decoder.bufferedBytes).toBe(0);
		expect(decoder.stallDeadline).toBeUndefined();
		expect(summarize(decoder.push(Buffer.concat([latin1('rest of it'), valid])))).toEqual(['skipped:10', VALID]);
	});

	it('a body that goes silent is dropped; the next valid request is not swallowed as its rest', () => {
		const {clock, decoder} = clocked();
		decoder.push(frame.subarray(0, headerEnd + 3));
		expect(decoder.bufferedBytes).toBe(3);
		clock.now += 9_000;
		decoder.push(frame.subarray(headerEnd + 3, headerEnd + 5)); // progress resets the body's clock
		expect(decoder.stallDeadline).toBe(clock.now + 10_000);
		clock.now += 10_000;
		// No timer fired: the next push finds the stall first, and reads its own frame.
		expect(summarize(decoder.push(valid))).toEqual(['error:STALLED_FRAME', VALID]);
	});

	it('checkStall drops a stalled body even when nothing follows (and frees it)', () => {
		const {clock, decoder} = clocked({bodyStallMs: 50});
		decoder.push(frame.subarray(0, headerEnd + 3));
		clock.now += 49;
		expect(decoder.checkStall()).toEqual([]);
		clock.now += 1;
		const events = decoder.checkStall();
		expect(summarize(events)).toEqual(['error:STALLED_FRAME']);
		expect(events[0]!.type === 'error' && events[0]!.error.message).toMatch(/no body bytes for 50 ms \(3 of 10 received\)/);
		expect(decoder.bufferedBytes).toBe(0);
	});

	it('a v5 header (no sentinel) that stops half way stalls too', () => {
		const {clock, decoder} = clocked({headerStallMs: 20});
		decoder.push(latin1('POS'));
		clock.now += 20;
		expect(summarize(decoder.checkStall())).toEqual(['error:STALLED_FRAME']);
	});

	it('a complete message leaves no deadline; an idle stream never stalls', () => {
		const {clock, decoder} = clocked();
		decoder.push(Buffer.concat([frame, FF])); // a v7 writer's trailing 0xFF
		expect(decoder.stallDeadline).toBeUndefined();
		clock.now += 3_600_000;
		expect(decoder.checkStall()).toEqual([]);
		expect(summarize(decoder.push(valid))).toEqual([VALID]);
	});

	it('counts dropped messages by error', () => {
		const {clock, decoder} = clocked();
		decoder.push(
			Buffer.concat([
				FF,
				header(reqLine, 'Content-Length: 0', 'X-Virtagent-Client-Tag: a b'),
				FF,
				header(reqLine, 'Content-Length: 0', 'X-Virtagent-Client-Tag: a:b'),
				valid,
			]),
		);
		decoder.push(frame.subarray(0, 5));
		clock.now += 10_000;
		decoder.checkStall();
		expect([...decoder.errorCounts]).toEqual([
			['MALFORMED_HEADER', 2],
			['STALLED_FRAME', 1],
		]);
	});

	it('rejects nonsensical stall limits', () => {
		expect(() => new FrameDecoder({headerStallMs: 0})).toThrow(RangeError);
		expect(() => new FrameDecoder({bodyStallMs: Number.NaN})).toThrow(RangeError);
	});
});
