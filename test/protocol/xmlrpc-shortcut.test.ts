/**
 * The shortcut for the two commonest bodies must never disagree with the general reader: for
 * every body it takes, it gives exactly what the scanner and builder (or sax) give, and it takes
 * what the codec writes for those shapes (so these checks cannot pass by declining everything).
 */
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {decodeCall, decodeResponse, encodeCall, encodeResponse} from '../../src/protocol/codec.js';
import {readXmlRpc} from '../../src/protocol/xmlrpc-reader.js';
import {shortCall, shortStringResponse} from '../../src/protocol/xmlrpc-shortcut.js';

/** What the general reader makes of a body: a call's method and params, or a response's one value. */
function general(body: Buffer): unknown {
	try {
		const outcome = readXmlRpc(body);
		return outcome.root === 'METHODCALL' ? {method: outcome.method, params: outcome.values} : {ok: outcome.part === 'params', value: outcome.values[0]};
	} catch (error) {
		return error;
	}
}

/** A body with one byte changed, inserted or removed at `at`. */
function mutate(body: Buffer, at: number, byte: number, how: 'set' | 'insert' | 'delete'): Buffer {
	const i = at % body.length;
	if (how === 'set') {
		const copy = Buffer.from(body);
		copy[i] = byte;
		return copy;
	}

	return Buffer.concat([body.subarray(0, i), how === 'insert' ? Buffer.from([byte]) : Buffer.alloc(0), body.subarray(how === 'insert' ? i : i + 1)]);
}

const methodName = fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/);
const anyText = fc.oneof(fc.string(), fc.string({unit: 'grapheme'}), fc.string({unit: 'binary'}), fc.constantFrom('dummy', 'é✓', 'a&b', 'x<y', 'a\rb', ']]>'));

describe('the XML-RPC shortcut', () => {
	it('takes every call without parameters that the codec writes, and reads it as the general reader does', () => {
		fc.assert(
			fc.property(methodName, name => {
				const body = encodeCall(name, []);
				expect(shortCall(body)).toEqual({method: name, params: []});
				expect(general(body)).toEqual({method: name, params: []});
				expect(decodeCall(body)).toEqual({method: name, params: []});
			}),
		);
	});

	it('agrees with the general reader on every string response it takes, and takes the plain ones', () => {
		fc.assert(
			fc.property(anyText, text => {
				const body = encodeResponse(text);
				const short = shortStringResponse(body);
				if (short !== undefined) {
					expect(short).toEqual(general(body));
				}

				if (/^[\x20-\x7e]+$/u.test(text) && !/[<>&]/u.test(text)) {
					expect(short).toEqual({ok: true, value: text});
				}

				expect(decodeResponse(body)).toEqual(general(body));
			}),
			{numRuns: 500},
		);
	});

	it('declines, or agrees with the general reader, when any one byte of such a body is changed, added or removed', () => {
		const bodies = [encodeCall('va.ping', []), encodeResponse('dummy'), encodeResponse('é✓ text')];
		fc.assert(
			fc.property(
				fc.constantFrom(...bodies),
				fc.nat(),
				fc.integer({min: 0, max: 255}),
				fc.constantFrom('set' as const, 'insert' as const, 'delete' as const),
				(body, at, byte, how) => {
					const changed = mutate(body, at, byte, how);
					for (const short of [shortCall(changed), shortStringResponse(changed)]) {
						if (short !== undefined) {
							expect(short).toEqual(general(changed));
						}
					}
				},
			),
			{numRuns: 3000},
		);
	});

	it('reads any bytes between the string tags as the general reader does, or declines', () => {
		const start = Buffer.from('<?xml version="1.0"?><methodResponse><params><param><value><string>');
		const end = Buffer.from('</string></value></param></params></methodResponse>');
		fc.assert(
			fc.property(fc.uint8Array({minLength: 1, maxLength: 40}), bytes => {
				const body = Buffer.concat([start, Buffer.from(bytes), end]);
				const short = shortStringResponse(body);
				if (short !== undefined) {
					expect(short).toEqual(general(body));
				}
			}),
			{numRuns: 2000},
		);
	});
	it('remembers the last body it read, frozen (no caller can change what the next reader gets), and only for those exact bytes', () => {
		const ping = encodeCall('va.ping', []);
		const first = shortCall(ping)!;
		expect(shortCall(Buffer.from(ping))).toBe(first);
		expect(Object.isFrozen(first)).toBe(true);
		expect(shortCall(encodeCall('va.pong', []))).toEqual({method: 'va.pong', params: []});
		const dummy = shortStringResponse(encodeResponse('dummy'))!;
		expect(shortStringResponse(encodeResponse('dummy'))).toBe(dummy);
		expect(Object.isFrozen(dummy)).toBe(true);
		expect(shortStringResponse(encodeResponse('dumpy'))).toEqual({ok: true, value: 'dumpy'});
		expect(shortStringResponse(encodeResponse('dummy'))).toEqual({ok: true, value: 'dummy'});
	});
});
