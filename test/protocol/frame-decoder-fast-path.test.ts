/**
 * The decoder's one-regex path for the canonical header must agree with its general parse:
 * the same frames from the canonical spelling and from spellings only the general parse takes.
 */
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';

function decodeAll(bytes: Buffer, bodyMax?: number) {
	return new FrameDecoder(bodyMax === undefined ? undefined : {bodyMax})
		.push(bytes)
		.map(event => (event.type === 'frame' ? {...event.frame, body: event.frame.body.toString('latin1')} : event.type === 'error' ? event.error.code : event));
}

/** The same message, spelled so that the fast path does not match it. */
function variant(kind: 'request' | 'response', tag: string, body: Buffer): Buffer {
	const start = kind === 'request' ? 'POST /RPC2 HTTP/1.1' : 'HTTP/1.1 200 OK';
	return Buffer.concat([
		Buffer.from(`\xff${start}\r\ncontent-type:text/xml\r\ncontent-length:  ${body.length}\r\nx-virtagent-client-tag: ${tag}\r\n\r\n`, 'latin1'),
		body,
	]);
}

describe('FrameDecoder canonical-header fast path', () => {
	it('decodes what the encoder writes exactly as the general parse does', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('request' as const, 'response' as const),
				fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/),
				fc.uint8Array({maxLength: 300}),
				(kind, tag, bytes) => {
					const body = Buffer.from(bytes);
					const fast = decodeAll(encodeFrame(kind, tag, body));
					expect(fast).toEqual([{kind, tag, body: body.toString('latin1')}]);
					expect(decodeAll(variant(kind, tag, body))).toEqual(fast);
				},
			),
			{numRuns: 300},
		);
	});

	it('holds the one-pass header to headerMax: a header of exactly headerMax is read, one byte more is HEADER_TOO_LONG', () => {
		const frame = encodeFrame('request', 'a'.repeat(64), Buffer.from('<x/>'));
		const headerBytes = frame.indexOf('\r\n\r\n') + 4 - 1; // from after the sentinel through the blank line
		const decode = (headerMax: number) =>
			new FrameDecoder({headerMax})
				.push(frame)
				.map(event => (event.type === 'frame' ? event.frame.tag : event.type === 'error' ? event.error.code : event.type));
		expect(decode(headerBytes)).toEqual(['a'.repeat(64)]);
		expect(decode(headerBytes - 1)).toContain('HEADER_TOO_LONG');
	});

	it('takes a canonical header whose body comes in later chunks, and one split anywhere in its header', () => {
		const frame = encodeFrame('response', 't.9', Buffer.from('<body/>'));
		for (let cut = 1; cut < frame.length; cut++) {
			const decoder = new FrameDecoder();
			const events = [...decoder.push(frame.subarray(0, cut)), ...decoder.push(frame.subarray(cut))];
			expect(events.map(event => (event.type === 'frame' ? [event.frame.tag, event.frame.body.toString()] : event.type))).toEqual([['t.9', '<body/>']]);
		}
	});

	it('leaves an over-limit length to the general parse (BODY_TOO_LONG)', () => {
		const frame = encodeFrame('response', 'a.1', Buffer.alloc(100));
		expect(decodeAll(frame, 99)).toContain('BODY_TOO_LONG');
		expect(decodeAll(frame, 100)).toEqual([{kind: 'response', tag: 'a.1', body: '\0'.repeat(100)}]);
	});

	it('reads a chunk that is exactly one frame as it reads the same bytes one at a time, whatever came before', () => {
		const piece = fc.oneof(
			fc
				.record({
					tag: fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/),
					body: fc.uint8Array({maxLength: 40}),
					kind: fc.constantFrom('request' as const, 'response' as const),
				})
				.map(({kind, tag, body}) => encodeFrame(kind, tag, Buffer.from(body))),
			fc.uint8Array({maxLength: 12}).map(bytes => Buffer.from(bytes)),
			fc.nat({max: 30}).map(cut => encodeFrame('request', 'half', Buffer.from('<x/>')).subarray(0, cut + 1)),
		);
		const summary = (decoder: FrameDecoder, chunks: Buffer[]) => {
			const seen: unknown[] = [];
			let skipped = 0;
			for (const chunk of chunks) {
				for (const event of decoder.push(chunk)) {
					if (event.type === 'skipped') {
						skipped += event.bytes;
					} else {
						seen.push(event.type === 'frame' ? [event.frame.kind, event.frame.tag, event.frame.body.toString('latin1')] : event.error.code);
					}
				}
			}

			return {seen, skipped, held: decoder.bufferedBytes};
		};
		fc.assert(
			fc.property(fc.array(piece, {maxLength: 8}), pieces => {
				const bytes = Buffer.concat(pieces);
				const byByte = summary(
					new FrameDecoder(),
					[...bytes].map(byte => Buffer.from([byte])),
				);
				expect(summary(new FrameDecoder(), pieces)).toEqual(byByte);
			}),
			{numRuns: 500},
		);
	});
});
