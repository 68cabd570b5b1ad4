import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {parseReply} from '../../../src/wire/qga/messages.js';
import {emptyReturnKey} from '../../../src/wire/qga/reply-shortcut.js';

const keyChars = fc.constantFrom(...'abcXYZ019._-'.split(''));
const keys = fc.string({unit: keyChars, minLength: 1, maxLength: 64});
const canonical = (key: string) => Buffer.from(`{"return": {}, "id": "${key}"}`, 'latin1');

describe("the empty-result reply read from its bytes (qemu-ga's own formatting)", () => {
	it('reads the key of every canonical reply, the key the JSON parser finds', () => {
		fc.assert(
			fc.property(keys, key => {
				expect(emptyReturnKey(canonical(key))).toBe(key);
				expect(parseReply(canonical(key).toString())).toEqual({kind: 'return', id: key, value: {}});
			}),
		);
	});

	it('never answers for a line the JSON parser reads otherwise: any byte changed, added or removed', () => {
		const edits = fc.tuple(keys, fc.nat(), fc.integer({min: 0, max: 255}), fc.constantFrom('replace', 'insert', 'delete'));
		fc.assert(
			fc.property(edits, ([key, at, byte, edit]) => {
				const line = [...canonical(key)];
				const index = at % (line.length + (edit === 'insert' ? 1 : 0));
				if (edit === 'replace') {
					line[index] = byte;
				} else if (edit === 'insert') {
					line.splice(index, 0, byte);
				} else {
					line.splice(index, 1);
				}

				const bytes = Buffer.from(line);
				const read = emptyReturnKey(bytes);
				if (read !== undefined) {
					// Whatever it reads, the parser must read the same: an empty result with that key.
					expect(parseReply(bytes.toString('utf8'))).toEqual({kind: 'return', id: read, value: {}});
				}
			}),
			{numRuns: 5000},
		);
	});

	it('leaves to the parser: a key over 64 bytes or empty, a number id, a result, other spacing, a key with a quote', () => {
		for (const text of [
			`{"return": {}, "id": "${'a'.repeat(65)}"}`,
			'{"return": {}, "id": ""}',
			'{"return": {}, "id": 42}',
			'{"return": {"a": 1}, "id": "q1"}',
			'{"return":{},"id":"q1"}',
			'{"return": {}, "id": "q\\"1"}',
			'{"return": {}, "id": "q1"} ',
			'{"return": {}}',
		]) {
			expect(emptyReturnKey(Buffer.from(text))).toBeUndefined();
		}
	});
});
