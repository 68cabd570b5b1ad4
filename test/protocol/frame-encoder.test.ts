import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';

const latin1 = (s: string) => Buffer.from(s, 'latin1');

describe('encodeFrame', () => {
	it('writes a request: sentinel, start line, the three headers, blank line, body', () => {
		const out = encodeFrame('request', 'abc.123', Buffer.from('hello'));
		expect(out.toString('latin1')).toBe(
			'\xffPOST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 5\r\n' + 'X-Virtagent-Client-Tag: abc.123\r\n\r\nhello',
		);
	});

	it('writes a response with status 200', () => {
		const out = encodeFrame('response', '7', Buffer.from('<methodResponse/>'));
		expect(out.toString('latin1')).toBe(
			'\xffHTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 17\r\n' + 'X-Virtagent-Client-Tag: 7\r\n\r\n<methodResponse/>',
		);
	});

	it.each([undefined, ''])('writes `none` for a missing tag (%j)', tag => {
		const out = encodeFrame('response', tag, Buffer.alloc(0));
		expect(out.toString('latin1')).toBe('\xffHTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 0\r\n' + 'X-Virtagent-Client-Tag: none\r\n\r\n');
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
		['colon', 'a:b'],
		['slash', 'a/b'],
		['ESC', 'a\u001b[2J'],
		['65 characters', 'x'.repeat(65)],
	])('rejects a tag containing %s with a clear TypeError', (_name, tag) => {
		expect(() => encodeFrame('request', tag, Buffer.from('x'))).toThrow(TypeError);
		expect(() => encodeFrame('request', tag, Buffer.from('x'))).toThrow(/X-Virtagent-Client-Tag/);
	});

	it('accepts a tag of exactly 64 grammar characters and refuses 65 (PROTOCOL.md §2)', () => {
		const tag = 'aZ0._-'.repeat(11).slice(0, 64);
		const events = new FrameDecoder().push(encodeFrame('request', tag, Buffer.alloc(0)));
		expect(events).toEqual([{type: 'frame', frame: {kind: 'request', tag, body: Buffer.alloc(0)}}]);
		expect(() => encodeFrame('request', `${tag}a`, Buffer.alloc(0))).toThrow(TypeError);
	});

	it('round-trips through the decoder for any kind, grammar tag and body', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('request' as const, 'response' as const),
				fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
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

	it('property: whatever tag the decoder accepts, the encoder writes back (no accepted input makes it throw)', () => {
		fc.assert(
			fc.property(fc.string({unit: 'binary', maxLength: 80}), fc.string({unit: 'binary', maxLength: 80}), (first, second) => {
				const value = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
				const header = `\xffPOST /RPC2 HTTP/1.1\r\nContent-Length: 0\r\nX-Virtagent-Client-Tag: ${value(first)}\r\nX-Virtagent-Client-Tag: ${value(second)}\r\n\r\n`;
				for (const event of new FrameDecoder().push(Buffer.from(header, 'latin1'))) {
					if (event.type === 'frame') {
						expect(() => encodeFrame('response', event.frame.tag, Buffer.alloc(0))).not.toThrow();
					}
				}
			}),
			{numRuns: 2000},
		);
	});

	it('a missing tag reads back as the literal `none` (the decoder keeps what is on the wire)', () => {
		const events = new FrameDecoder().push(encodeFrame('response', undefined, latin1('x')));
		expect(events).toEqual([{type: 'frame', frame: {kind: 'response', tag: 'none', body: latin1('x')}}]);
	});
});
