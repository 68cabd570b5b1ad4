import {describe, expect, it} from 'vitest';
import fc from 'fast-check';
import {jsonDepth, parseBoundedJson} from '../../../src/wire/qga/json.js';
import {LineReader, lineText} from '../../../src/wire/qga/line-reader.js';
import {encodeRequest, parseReply} from '../../../src/wire/qga/messages.js';

/** The events, lines as their text decoded. */
function feed(reader: LineReader, ...chunks: Array<string | Buffer>): unknown[] {
	return chunks
		.flatMap(chunk => reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)))
		.map(event => {
			if (event.type !== 'line') {
				return event;
			}

			return {type: 'line', text: lineText(event)};
		});
}

describe('qemu-ga line reader', () => {
	it('reads one reply a line, across any split of the bytes', () => {
		const text = '{"return": {}, "id": 1}\n\xff{"return": 42}\n{"return": "é"}\n';
		const bytes = Buffer.from(text.replace('\xff', ''), 'utf8');
		const withDelimiter = Buffer.concat([bytes.subarray(0, 24), Buffer.of(0xff), bytes.subarray(24)]);
		fc.assert(
			fc.property(fc.array(fc.integer({min: 1, max: withDelimiter.length}), {maxLength: 6}), cuts => {
				const points = [...new Set(cuts)].sort((a, b) => a - b);
				const chunks: Buffer[] = [];
				let start = 0;
				for (const point of points) {
					chunks.push(withDelimiter.subarray(start, point));
					start = point;
				}

				chunks.push(withDelimiter.subarray(start));
				const events = feed(new LineReader(), ...chunks);
				expect(events).toEqual([
					{type: 'line', text: '{"return": {}, "id": 1}'},
					{type: 'delimiter'},
					{type: 'line', text: '{"return": 42}'},
					{type: 'line', text: '{"return": "é"}'},
				]);
			}),
		);
	});

	it('drops a line cut by 0xFF and says how many bytes went', () => {
		expect(feed(new LineReader(), '{"return": ', Buffer.of(0xff), '{"return": 1}\n')).toEqual([
			{type: 'dropped', reason: 'cut', bytes: 11},
			{type: 'delimiter'},
			{type: 'line', text: '{"return": 1}'},
		]);
	});

	it('never holds more than the line limit, and reads on after an overlong line', () => {
		const reader = new LineReader(100);
		const events: unknown[] = [];
		for (let index = 0; index < 50; index++) {
			events.push(...feed(reader, Buffer.alloc(64, 0x61)));
			expect(reader.buffered).toBeLessThanOrEqual(100);
		}

		events.push(...feed(reader, '\n{"return": 2}\n'));
		expect(events).toEqual([
			{type: 'dropped', reason: 'overlong', bytes: 3200},
			{type: 'line', text: '{"return": 2}'},
		]);
	});

	it('reads a chunk of many short lines in one pass (0xFF and newline searches do not restart)', () => {
		const chunk = Buffer.from('{}\n'.repeat(200_000));
		const events = new LineReader().push(chunk);
		expect(events).toHaveLength(200_000);
		const many = Buffer.alloc(200_000, 0xff);
		// A quadratic scan of these would run into the test timeout.
		expect(new LineReader().push(many)).toHaveLength(200_000);
	});
});

describe('qemu-ga messages', () => {
	it('writes requests as qemu-ga reads them', () => {
		expect(encodeRequest('guest-ping', undefined, 7).toString()).toBe('{"execute":"guest-ping","id":7}\n');
		expect(encodeRequest('guest-file-read', {handle: 1000, count: 5}, 8).toString()).toBe(
			'{"execute":"guest-file-read","arguments":{"handle":1000,"count":5},"id":8}\n',
		);
	});

	it('reads return and error replies in both key orders', () => {
		expect(parseReply('{"return": {}, "id": 1}')).toEqual({kind: 'return', id: 1, value: {}});
		expect(parseReply('{"id": 7, "error": {"class": "CommandNotFound", "desc": "The command x has not been found"}}')).toEqual({
			kind: 'error',
			id: 7,
			error: {class: 'CommandNotFound', desc: 'The command x has not been found'},
		});
		expect(parseReply('{"return": 5}').id).toBeUndefined();
	});

	it('refuses what is not a reply, and nesting deeper than 64 without recursing', () => {
		expect(() => parseReply('[1]')).toThrow('JSON object');
		expect(() => parseReply('{"id": 1}')).toThrow('neither');
		expect(() => parseReply('{bad')).toThrow('invalid JSON');
		const deep = `{"return": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
		expect(() => parseReply(deep)).toThrow('deeper than 64');
		expect(jsonDepth(`${'['.repeat(64)}${']'.repeat(64)}`)).toBe(64);
		expect(parseBoundedJson(`${'['.repeat(64)}${']'.repeat(64)}`)).toBeDefined();
		// The shortest text 65 deep (130 characters) is still scanned and refused: only shorter ones skip the scan.
		expect(() => parseBoundedJson(`${'['.repeat(65)}${']'.repeat(65)}`)).toThrow('deeper than 64');
		// Brackets inside strings (escaped quotes too) are not nesting.
		expect(jsonDepth('{"a": "[[[\\"[[[", "b": [1]}')).toBe(2);
	});

	it('keeps __proto__ an own key, never a prototype', () => {
		const reply = parseReply('{"return": {"__proto__": {"polluted": 1}}}');
		expect(Object.getPrototypeOf(reply.kind === 'return' ? reply.value : null)).toBe(Object.prototype);
		expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
	});
});

describe('the depth scan', () => {
	it('agrees with a character-by-character count on strings with escapes', () => {
		const reference = (text: string) => {
			let depth = 0;
			let deepest = 0;
			let inString = false;
			for (let index = 0; index < text.length; index++) {
				const char = text[index];
				if (inString) {
					if (char === '\\') {
						index++;
					} else if (char === '"') {
						inString = false;
					}
				} else if (char === '"') {
					inString = true;
				} else if (char === '[' || char === '{') {
					deepest = Math.max(deepest, ++depth);
				} else if (char === ']' || char === '}') {
					depth--;
				}
			}

			return deepest;
		};

		fc.assert(
			fc.property(fc.array(fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ','), {maxLength: 60}), chars => {
				const text = chars.join('');
				expect(jsonDepth(text, 1000)).toBe(reference(text));
			}),
			{numRuns: 2000},
		);
		fc.assert(
			fc.property(fc.jsonValue({maxDepth: 8}), value => {
				const text = JSON.stringify(value);
				expect(jsonDepth(text, 1000)).toBe(reference(text));
			}),
		);
	});

	it('stays linear on a string of backslashes and quotes', () => {
		// A quadratic backslash count would run into the test timeout.
		expect(jsonDepth(`["${'\\\\'.repeat(500_000)}\\"${'\\\\'.repeat(500_000)}"]`)).toBe(1);
	});
});
