/*
 * Boundaries of the escaping that the mutation run (npm run mutate) found untested: each case
 * fails if a comparison in src/monitor/escape.ts moves by one (docs/mutation.md).
 */
import {describe, expect, it} from 'vitest';
import {escapeLine, escapeUntrusted, showBytes} from '../../src/monitor/escape.js';

describe('escape boundaries', () => {
	it('U+0080, the first C1 control, is written as \\u0080 (not \\x80, which reads as a byte)', () => {
		expect(escapeLine('a\u0080b')).toBe('a\\u0080b');
		expect(escapeUntrusted('\u007F\u0080')).toBe('\\x7f\\u0080');
	});

	it('binary content keeps its tabs, spaces and newlines as they are', () => {
		const shown = showBytes(Uint8Array.from([0x09, 0x20, 0x41, 0x0a, 0xff]));
		expect(shown.isText).toBe(false);
		expect(shown.text).toBe('\t A\n\\xff\n(5 bytes, binary)');
	});

	it('binary content: the controls just below space and at DEL are escaped', () => {
		expect(showBytes(Uint8Array.from([0x1f, 0x7e, 0x7f, 0xc3])).text).toBe('\\x1f~\\x7f\\xc3\n(4 bytes, binary)');
	});
});
