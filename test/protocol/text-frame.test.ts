import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {encodeFrame, encodeTextFrame, FrameTemplate} from '../../src/protocol/frame-encoder.js';
import {isValidTag} from '../../src/protocol/frame.js';

describe('encodeTextFrame writes the same bytes as encodeFrame of the UTF-8 body (ASCII bodies are copied as latin1)', () => {
	const bodies = [
		'',
		'<string>dummy</string>',
		'plain ASCII with \t tab and ~ DEL-free punctuation !"#$%',
		'é (two bytes)',
		'€ (three bytes)',
		'😀 (a surrogate pair, four bytes)',
		'lone \ud800 surrogate (written as U+FFFD)',
		'ÿ: latin1 would write one byte, UTF-8 writes two',
	];
	for (const body of bodies) {
		it(JSON.stringify(body), () => {
			const bytes = Buffer.byteLength(body, 'utf8');
			expect(encodeTextFrame('response', 'a1.b2', body, bytes)).toEqual(encodeFrame('response', 'a1.b2', Buffer.from(body, 'utf8')));
		});
	}
});

describe('FrameTemplate writes the bytes encodeTextFrame writes, for any tag, and refuses the same tags', () => {
	const anyTag = fc.oneof(
		fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
		fc.string({maxLength: 70}),
		fc.string({unit: 'binary', maxLength: 70}),
		fc.constantFrom(undefined, '', 'x'.repeat(65)),
	);
	const anyBody = fc.oneof(fc.string(), fc.string({unit: 'binary'}), fc.constantFrom('<string>dummy</string>', 'é€😀'));
	it('for every kind, body and tag', () => {
		fc.assert(
			fc.property(fc.constantFrom('request' as const, 'response' as const), anyBody, fc.array(anyTag, {minLength: 1, maxLength: 4}), (kind, body, tags) => {
				const bytes = Buffer.byteLength(body, 'utf8');
				const template = new FrameTemplate(kind, body, bytes);
				// The same template serves several frames in a row, as in a ping loop.
				for (const tag of tags) {
					let expected: Buffer | Error;
					try {
						expected = encodeTextFrame(kind, tag, body, bytes);
					} catch (error) {
						expected = error as Error;
					}

					if (expected instanceof Error) {
						expect(() => template.frame(tag)).toThrow(TypeError);
						expect(() => template.frame(tag)).toThrow(expected.message);
					} else {
						expect(template.frame(tag)).toEqual(expected);
					}
				}
			}),
			{numRuns: 500},
		);
	});
});

describe('FrameTemplate over a run of sequential tags (a ping loop: same lengths, then one longer)', () => {
	it('writes each frame as encodeTextFrame does', () => {
		const body = '<?xml version="1.0"?><methodCall><methodName>va.ping</methodName><params/></methodCall>';
		const template = new FrameTemplate('request', body, body.length);
		for (let n = 1; n <= 1200; n++) {
			expect(template.frame(`a1b2c3.${n}`)).toEqual(encodeTextFrame('request', `a1b2c3.${n}`, body, body.length));
		}

		expect(() => template.frame('a1b2c3 12')).toThrow(TypeError);
		expect(template.frame('a1b2c3.13')).toEqual(encodeTextFrame('request', 'a1b2c3.13', body, body.length));
	});
});

describe('isValidTag (the tag grammar of PROTOCOL.md §2, checked on every frame written)', () => {
	it('takes 1-64 of A-Z a-z 0-9 . _ - and nothing else', () => {
		expect(isValidTag('a')).toBe(true);
		expect(isValidTag('AZaz09._-')).toBe(true);
		expect(isValidTag('x'.repeat(64))).toBe(true);
		expect(isValidTag('')).toBe(false);
		expect(isValidTag('x'.repeat(65))).toBe(false);
		for (let code = 0; code < 0x180; code++) {
			const char = String.fromCharCode(code);
			expect(isValidTag(`a${char}b`), `char ${code}`).toBe(/[A-Za-z0-9._-]/.test(char));
		}

		expect(isValidTag('a\ud800')).toBe(false);
	});
});
