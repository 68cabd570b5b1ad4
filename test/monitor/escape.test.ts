import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {escapeLine, escapeUntrusted, safeJson, showBytes} from '../../src/monitor/escape.js';

/** Anything a terminal could act on: C0 (but \n, \t), DEL, C1, bidi and other format characters. */
const dangerous = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029\uFEFF\uD800-\uDFFF]/u;

/** Strings built from the characters that matter, so that every one of them occurs often. */
const hostileText = fc.oneof(
	fc.string({unit: 'binary', maxLength: 200}),
	fc.string({
		unit: fc.constantFrom(
			'a',
			' ',
			'\\',
			'\n',
			'\r',
			'\t',
			'\u001B',
			'\u0007',
			'\u007F',
			'\u0085',
			'\u009B',
			'\u2028',
			'\u2029',
			'\u202E',
			'\u200B',
			'\u2066',
			'\uFEFF',
			'\uD800',
			'\uDC00',
			'é',
			'🚀',
		),
		maxLength: 60,
	}),
);

describe('escapeUntrusted', () => {
	it('shows ESC sequences, C1 controls, DEL and bidi overrides visibly', () => {
		expect(escapeUntrusted('\u001B[31mred\u001B[0m')).toBe('\\x1b[31mred\\x1b[0m');
		expect(escapeUntrusted('title\u001B]0;owned\u0007')).toBe('title\\x1b]0;owned\\x07');
		expect(escapeUntrusted('csi\u009B2J del\u007F')).toBe('csi\\u009b2J del\\x7f');
		expect(escapeUntrusted('abc\u202Edcba')).toBe('abc\\u202edcba');
		expect(escapeUntrusted('zero\u200Bwidth')).toBe('zero\\u200bwidth');
		expect(escapeUntrusted('tag\u{E0041}')).toBe('tag\\u{e0041}');
	});

	it('keeps newlines and tabs, turns CRLF into a newline and a lone CR visible', () => {
		expect(escapeUntrusted('a\tb\nc\r\nd')).toBe('a\tb\nc\nd');
		expect(escapeUntrusted('safe\roverwritten')).toBe('safe\\roverwritten');
	});

	it('leaves ordinary text, accents and emoji alone', () => {
		expect(escapeUntrusted('héllo wörld ✓ 🚀 \\n')).toBe('héllo wörld ✓ 🚀 \\n');
	});

	it('never lets a dangerous character through (property)', () => {
		fc.assert(
			fc.property(hostileText, text => {
				const line = escapeLine(text);
				return !dangerous.test(escapeUntrusted(text)) && !dangerous.test(line) && !/[\n\t]/u.test(line);
			}),
			{numRuns: 200},
		);
	});
});

describe('escapeLine', () => {
	it('shows newlines and tabs too', () => {
		expect(escapeLine('va.ping\nva.evil\t\u001B[2J')).toBe('va.ping\\nva.evil\\t\\x1b[2J');
	});

	it('shows line and paragraph separators, NEL and CR: nothing can start a new line', () => {
		expect(escapeLine('a\u2028b\u2029c\u0085d\re\u000Bf\u000Cg')).toBe('a\\u2028b\\u2029c\\u0085d\\re\\x0bf\\x0cg');
	});

	it('is idempotent: escaping twice (model, then view) shows the same line', () => {
		fc.assert(
			fc.property(hostileText, text => escapeLine(escapeLine(text)) === escapeLine(text)),
			{numRuns: 300},
		);
	});
});

describe('showBytes', () => {
	it('shows UTF-8 text as text, escaped', () => {
		expect(showBytes(Buffer.from('root:x:0:0\n\u001B[2J'))).toEqual({text: 'root:x:0:0\n\\x1b[2J', isText: true});
	});

	it('shows binary content byte by byte with its size', () => {
		const shown = showBytes(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0xff, 0x00, 0x1b, 0x0a]));
		expect(shown).toEqual({text: '\\x7fELF\\xff\\x00\\x1b\n(8 bytes, binary)', isText: false});
		expect(showBytes(Buffer.from([0xc3])).text).toBe('\\xc3\n(1 byte, binary)');
	});
});

describe('safeJson', () => {
	it('is valid JSON that round-trips and carries no raw control or bidi character', () => {
		fc.assert(
			fc.property(hostileText, text => {
				const line = safeJson({return: text});
				return !dangerous.test(line) && (JSON.parse(line) as {return: string}).return === text;
			}),
			{numRuns: 200},
		);
		expect(safeJson('\u009B\u202E\u{E0041}')).toBe('"\\u009b\\u202e\\udb40\\udc41"');
	});
});
