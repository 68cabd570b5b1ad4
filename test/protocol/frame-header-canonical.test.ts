/**
 * The one-pass reader of our own header (readCanonicalHeader) must take every header the encoder
 * writes, and must never disagree with the general parse: for any header one byte off it either
 * declines or reads what the general parse reads.
 */
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {parseHeaderFields, readCanonicalHeader} from '../../src/protocol/frame-header.js';

const bodyMax = 1 << 20;

/** The header bytes of a frame, after its sentinel, through the blank line. */
function headerOf(kind: 'request' | 'response', tag: string, bodyLength: number): Buffer {
	const frame = encodeFrame(kind, tag, Buffer.alloc(bodyLength, 0x61));
	return frame.subarray(1, frame.length - bodyLength);
}

/** What the general parse makes of a whole header (blank line included), or its error code. */
function general(header: Buffer): unknown {
	const end = header.indexOf('\r\n\r\n');
	if (end < 0) {
		return 'no end';
	}

	const fields = parseHeaderFields(header.toString('latin1', 0, end), bodyMax);
	return 'code' in fields ? fields.code : {...fields, end: end + 4};
}

describe('readCanonicalHeader', () => {
	it('takes every header the encoder writes, with any tag and length, as the general parse reads it', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('request' as const, 'response' as const),
				fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
				fc.nat({max: 5000}),
				(kind, tag, bodyLength) => {
					const header = headerOf(kind, tag, bodyLength);
					const read = readCanonicalHeader(header, 0, 4096, bodyMax);
					expect(read).toEqual({kind, tag, bodyLength, end: header.length});
					expect(read).toEqual(general(header));
				},
			),
			{numRuns: 500},
		);
	});

	it('reads headers of alternating lengths and kinds (what it remembers of the last one never leaks)', () => {
		for (let i = 0; i < 40; i++) {
			const kind = i % 3 === 0 ? 'request' : 'response';
			const header = headerOf(kind, `t.${i}`, (i * 7) % 13);
			expect(readCanonicalHeader(header, 0, 4096, bodyMax)).toEqual({kind, tag: `t.${i}`, bodyLength: (i * 7) % 13, end: header.length});
		}
	});

	it('declines, or agrees with the general parse, when any one byte of a header is changed, added or removed', () => {
		const headers = [headerOf('request', 'a1b2c3.17', 88), headerOf('response', 'a1b2c3.17', 102), headerOf('response', 'x', 0)];
		fc.assert(
			fc.property(
				fc.constantFrom(...headers),
				fc.nat(),
				fc.integer({min: 0, max: 255}),
				fc.constantFrom('set', 'insert', 'delete'),
				(header, at, byte, how) => {
					const i = at % header.length;
					const changed =
						how === 'set'
							? Buffer.concat([header.subarray(0, i), Buffer.from([byte]), header.subarray(i + 1)])
							: Buffer.concat([header.subarray(0, i), how === 'insert' ? Buffer.from([byte]) : Buffer.alloc(0), header.subarray(how === 'insert' ? i : i + 1)]);
					const read = readCanonicalHeader(changed, 0, 4096, bodyMax);
					if (read !== undefined) {
						expect(read).toEqual(general(changed));
					}
				},
			),
			{numRuns: 5000},
		);
	});

	it('declines every single-byte change of the fixed text (start line, Content-Type, header names)', () => {
		const header = headerOf('request', 'a1b2c3.17', 88);
		const fixed = header.indexOf('88');
		for (let i = 0; i < fixed; i++) {
			const changed = Buffer.from(header);
			changed[i] = header[i] === 0x20 ? 0x2d : 0x20;
			expect(readCanonicalHeader(changed, 0, 4096, bodyMax)).toBeUndefined();
		}
	});
});
