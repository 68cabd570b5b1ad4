import {describe, expect, it} from 'vitest';
import {escapeLine} from '../../src/monitor/escape.js';

// escapeLine returns printable-ASCII text as is after a loop, without its pattern (src/monitor/escape.ts):
// the loop must let through exactly what the pattern would have left alone.
describe('escapeLine, printable-ASCII shortcut', () => {
	it('gives every UTF-16 code unit the result of the full escaping', () => {
		for (let code = 0; code < 0x1_00_00; code++) {
			const char = String.fromCharCode(code);
			// A leading non-ASCII letter takes every string down the full path.
			const full = escapeLine(`\u00e9${char}`).slice(1);
			expect(escapeLine(`a${char}`), `U+${code.toString(16)}`).toBe(`a${full}`);
		}
	});

	it('escapes the ASCII controls at both ends of the printable range', () => {
		expect(escapeLine('\u001f ~\u007f')).toBe('\\x1f ~\\x7f');
	});
});
