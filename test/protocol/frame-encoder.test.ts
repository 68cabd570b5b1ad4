import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';

const latin1 = (s: string) => Buffer.from(s, 'latin1');

describe('encodeFrame', () => {
	it('writes a request: sentinel, start line, the three headers, blank line, body', () => {
		const out = encodeFrame('request', 'abc.123', Buffer.from('hello'));
		expect(out.toString('latin1')).toBe(
			'\xffPOST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 5\r\n' +
				'X-Virtagent-Client-Tag: abc.123\r\n\r\nhello',
		);
	});

	it('writes a response with status 200', () => {
		const out = encodeFrame('response', '7', Buffer.from('<methodResponse/>'));
		expect(out.toString('latin1')).toBe(
			'\xffHTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 17\r\n' +
				'X-Virtagent-Client-Tag: 7\r\n\r\n<methodResponse/>',
		);
	});

	it.each([undefined, ''])('writes `none` for a missing tag (%j)', (tag) => {
		const out = encodeFrame('response', tag, Buffer.alloc(0));
		expect(out.toString('latin1')).toBe(
			'\xffHTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 0\r\n' +
				'X-Virtagent-Client-Tag: none\r\n\r\n',
		);
	});

	it('counts Content-Length in bytes, not characters', () => {
		const body = Buffer.from('héllo ✓ 🎉', 'utf8');
		expect(body.length).toBe(15);
		const out = encodeFrame('request', 't', body);
		expect(out.toString('latin1')).toContain('\r\nContent-Length: 15\r\n');
		expect(out.subarray(out.length - 15).equals(body)).toBe(true);
	});

	it('copies the body (later changes to the caller buffer do not leak into the frame)', () => {
		const body = Buffer.from('hello');
		const out = encodeFrame('request', 't', body);
		body.fill(0x41);
		expect(out.subarray(out.length - 5).toString()).toBe('hello');
	});

	it.each([
		['CR', 'a\rb'],
		['LF', 'a\nb'],
		['CRLF', 'a\r\nX-Evil: 1'],
		['0xFF', 'a\xffb'],
		['space', 'a b'],
		['non-ASCII', 'é'],
		['NUL', 'a\0'],
	])('rejects a tag containing %s with a clear TypeError', (_name, tag) => {
		expect(() => encodeFrame('request', tag, Buffer.from('x'))).toThrow(TypeError);
		expect(() => encodeFrame('request', tag, Buffer.from('x'))).toThrow(/X-Virtagent-Client-Tag/);
	});

	it('rejects a tag that would push the header over 4096 bytes', () => {
		expect(() => encodeFrame('request', 'x'.repeat(5000), Buffer.alloc(0))).toThrow(RangeError);
		// The largest tag that still fits is accepted and decodes.
		const fixed = encodeFrame('request', '', Buffer.alloc(0)).length - 1 - 'none'.length;
		const tag = 'y'.repeat(4096 - fixed);
		const out = encodeFrame('request', tag, Buffer.alloc(0));
		expect(out.length - 1).toBe(4096);
		const events = new FrameDecoder().push(out);
		expect(events).toEqual([{type: 'frame', frame: {kind: 'request', tag, body: Buffer.alloc(0)}}]);
		expect(() => encodeFrame('request', tag + 'y', Buffer.alloc(0))).toThrow(RangeError);
	});

	it('round-trips through the decoder for any kind, visible-ASCII tag and body', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('request' as const, 'response' as const),
				fc.stringMatching(/^[\x21-\x7e]{1,64}$/),
				fc.uint8Array({maxLength: 2048}),
				(kind, tag, bytes) => {
					const body = Buffer.from(bytes);
					const events = new FrameDecoder().push(encodeFrame(kind, tag, body));
					expect(events).toHaveLength(1);
					expect(events[0]).toEqual({type: 'frame', frame: {kind, tag, body}});
				},
			),
			{numRuns: 500},
		);
	});

	it('a missing tag reads back as the literal `none` (the decoder keeps what is on the wire)', () => {
		const events = new FrameDecoder().push(encodeFrame('response', undefined, latin1('x')));
		expect(events).toEqual([{type: 'frame', frame: {kind: 'response', tag: 'none', body: latin1('x')}}]);
	});
});
