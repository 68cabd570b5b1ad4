import {describe, expect, it} from 'vitest';
import {responseXml} from '../../src/protocol/codec.js';

// Short strings (up to 32 characters) are checked by a loop, longer ones by a pattern
// (src/protocol/codec.ts text()): both must escape and sanitize exactly the same characters.
describe('element text, short and long strings alike', () => {
	const padding = 'p'.repeat(40);
	const inner = (xml: string) => /<string>(.*)<\/string>/s.exec(xml)![1]!;

	it('treats every UTF-16 code unit the same way at both lengths', () => {
		for (let code = 0; code < 0x1_00_00; code++) {
			const char = String.fromCharCode(code);
			const short = inner(responseXml(`a${char}`));
			const long = inner(responseXml(`a${char}${padding}`));
			expect(`${short}${padding}`, `U+${code.toString(16)}`).toBe(long);
		}
	});

	it('keeps a surrogate pair and escapes markup in a short string', () => {
		expect(inner(responseXml('a\ud83d\ude00b'))).toBe('a\ud83d\ude00b');
		expect(inner(responseXml('<a&b>\r'))).toBe('&lt;a&amp;b&gt;&#xD;');
		expect(inner(responseXml('x\u0001\ufffe'))).toBe('x\ufffd\ufffd');
		expect(inner(responseXml('tab\tline\n'))).toBe('tab\tline\n');
	});
});
