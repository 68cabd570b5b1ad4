import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {encodeRequest} from '../../../src/wire/qga/messages.js';

/** What a request must be, byte for byte: the object stringified, and a newline. */
function stringified(execute: string, args: Record<string, unknown> | undefined, id: string | number | undefined): Buffer {
	const request: Record<string, unknown> = {execute};
	if (args !== undefined) {
		request['arguments'] = args;
	}

	if (id !== undefined) {
		request['id'] = id;
	}

	return Buffer.from(`${JSON.stringify(request)}\n`, 'utf8');
}

describe('encodeRequest (cached command prefixes, short tails copied byte by byte)', () => {
	it('writes exactly the bytes of the request stringified, for any name, arguments and id', () => {
		const names = fc.oneof(fc.constantFrom('guest-ping', 'guest-info', 'guest-sync-delimited'), fc.string(), fc.string({unit: 'grapheme'}));
		const ids = fc.oneof(
			fc.constant(undefined),
			fc.integer(),
			fc.string(),
			fc.string({unit: 'grapheme'}),
			fc.string({unit: 'binary'}),
			fc.string({minLength: 40, maxLength: 80}),
		);
		// Arguments are copied as JSON.stringify writes them: their size is not what this is about.
		const args = fc.oneof(fc.constant(undefined), fc.dictionary(fc.string({unit: 'grapheme'}), fc.jsonValue({maxDepth: 2}), {size: 'small'}));
		fc.assert(
			fc.property(names, args, ids, (execute, argumentsValue, id) => {
				// Twice: the second finds the name's prefix cached.
				expect(encodeRequest(execute, argumentsValue, id).equals(stringified(execute, argumentsValue, id))).toBe(true);
				expect(encodeRequest(execute, argumentsValue, id).equals(stringified(execute, argumentsValue, id))).toBe(true);
			}),
			{numRuns: 2000},
		);
	});

	it('stays right past the bounded prefix cache, and for an id with non-ASCII characters', () => {
		for (let n = 0; n < 200; n++) {
			const execute = `guest-command-${n}`;
			expect(encodeRequest(execute, undefined, `q${n}`).toString('utf8')).toBe(`{"execute":"${execute}","id":"q${n}"}\n`);
		}

		for (const id of ['é', '\u00ff', '\u0080', 'é\u2028😀', '\u007f', 'a"b', 'a\\b', '\u001f', ' ~', 'x'.repeat(64), 'x'.repeat(65)]) {
			expect(encodeRequest('guest-ping', undefined, id).equals(stringified('guest-ping', undefined, id))).toBe(true);
		}
	});
});
