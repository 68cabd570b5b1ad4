/*
 * What the mutation run (npm run mutate:protocol, docs/mutation.md) found untested in the
 * header parser and the encoder: the general (non-canonical) header path with a valid tag, and
 * the error messages an operator reads — each names what was wrong, quoted, cut and escaped.
 */
import {describe, expect, it} from 'vitest';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {parseHeaderFields} from '../../src/protocol/frame-header.js';

const bodyMax = 1000;
const request = 'POST /RPC2 HTTP/1.1';

function header(...lines: string[]): string {
	return [request, ...lines].join('\r\n');
}

describe('header fields, the general path', () => {
	it('takes a valid tag from a header the fast path does not match (extra header, other case)', () => {
		expect(parseHeaderFields(header('content-length: 5', 'X-Other: 1', 'x-virtagent-client-tag: a.b_c-9'), bodyMax)).toEqual({
			kind: 'request',
			tag: 'a.b_c-9',
			bodyLength: 5,
		});
		expect(parseHeaderFields(header('X-Virtagent-Client-Tag: t1', 'Content-Length: 5', 'X-Virtagent-Client-Tag: t1'), bodyMax)).toEqual({
			kind: 'request',
			tag: 't1',
			bodyLength: 5,
		});
	});

	it('names each refusal in its message', () => {
		expect(parseHeaderFields('GET / HTTP/1.1\r\nContent-Length: 0', bodyMax)).toEqual({
			code: 'BAD_START_LINE',
			message: 'not a request or response: "GET / HTTP/1.1"',
		});
		expect(parseHeaderFields(header(': x', 'Content-Length: 0'), bodyMax)).toEqual({code: 'MALFORMED_HEADER', message: 'bad header line: ": x"'});
		expect(parseHeaderFields(header('no colon', 'Content-Length: 0'), bodyMax)).toEqual({code: 'MALFORMED_HEADER', message: 'bad header line: "no colon"'});
		expect(parseHeaderFields(header('Bad Name: 1', 'Content-Length: 0'), bodyMax)).toEqual({code: 'MALFORMED_HEADER', message: 'bad header name: "Bad Name"'});
		expect(parseHeaderFields(header('Content-Length: 5', 'Content-Length: 6'), bodyMax)).toEqual({
			code: 'BAD_CONTENT_LENGTH',
			message: 'conflicting lengths 5 and 6',
		});
		expect(parseHeaderFields(header('Content-Length: 5', 'X-Virtagent-Client-Tag: a', 'X-Virtagent-Client-Tag: b'), bodyMax)).toEqual({
			code: 'MALFORMED_HEADER',
			message: 'conflicting X-Virtagent-Client-Tag headers',
		});
		expect(parseHeaderFields(header('Content-Length: 5', 'X-Virtagent-Client-Tag: a b'), bodyMax)).toEqual({
			code: 'MALFORMED_HEADER',
			message: 'bad X-Virtagent-Client-Tag: "a b"',
		});
		expect(parseHeaderFields(header('X-Other: 1'), bodyMax)).toEqual({code: 'MISSING_CONTENT_LENGTH', message: 'no Content-Length header'});
		expect(parseHeaderFields(header('Content-Length: 1001'), bodyMax)).toEqual({code: 'BODY_TOO_LONG', message: 'Content-Length 1001 exceeds 1000'});
	});

	it('quotes peer bytes cut to 80 characters, non-ASCII as \\u escapes', () => {
		const long = parseHeaderFields('x'.repeat(200), bodyMax);
		expect(long).toEqual({code: 'BAD_START_LINE', message: `not a request or response: "${'x'.repeat(80)}"`});
		expect(parseHeaderFields('caf\u00e9\u2028', bodyMax)).toEqual({code: 'BAD_START_LINE', message: 'not a request or response: "caf\\u00e9\\u2028"'});
	});
});

describe('the encoder refusing a tag', () => {
	it('quotes at most 80 characters of it', () => {
		expect(() => encodeFrame('request', 'x'.repeat(65), Buffer.alloc(0))).toThrow(`invalid X-Virtagent-Client-Tag "${'x'.repeat(65)}"`);
		let message = '';
		try {
			encodeFrame('request', ' '.repeat(200), Buffer.alloc(0));
		} catch (error) {
			message = (error as Error).message;
		}

		expect(message).toBe(`invalid X-Virtagent-Client-Tag "${' '.repeat(80)}": 1-64 of A-Z a-z 0-9 . _ - only`);
	});
});
