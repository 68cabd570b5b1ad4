/**
 * The pieces of a body that comes over several chunks: joined in order whatever their sizes,
 * small ones copied (the chunk they came in may be reused), big ones kept as the views they are.
 */
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {BodyAssembler} from '../../src/protocol/body-assembler.js';

function patterned(length: number, seed: number): Buffer {
	const bytes = Buffer.alloc(length);
	for (let index = 0; index < length; index++) {
		bytes[index] = (index * 31 + seed) & 0xff;
	}

	return bytes;
}

describe('BodyAssembler', () => {
	it('joins any run of pieces into their concatenation, and is empty afterwards', () => {
		fc.assert(
			fc.property(fc.array(fc.integer({min: 0, max: 40_000}), {maxLength: 12}), sizes => {
				const assembler = new BodyAssembler();
				const pieces = sizes.map((size, index) => patterned(size, index));
				for (const piece of pieces) {
					assembler.append(piece);
				}

				const total = sizes.reduce((sum, size) => sum + size, 0);
				expect(assembler.join(total).equals(Buffer.concat(pieces))).toBe(true);
				expect(assembler.join(0)).toHaveLength(0);
			}),
			{numRuns: 200},
		);
	});

	it('copies pieces under 16 KiB and keeps bigger ones as views of their chunk', () => {
		const assembler = new BodyAssembler();
		const small = patterned(16_383, 1);
		const big = patterned(16_384, 2);
		assembler.append(small);
		assembler.append(big);
		small.fill(0);
		big.fill(0x21);
		const body = assembler.join(small.length + big.length);
		expect(body.subarray(0, 16_383).equals(patterned(16_383, 1))).toBe(true);
		expect(body.subarray(16_383).every(byte => byte === 0x21)).toBe(true);
	});

	it('fills the staging block to the byte across pieces, then starts another', () => {
		const assembler = new BodyAssembler();
		const pieces = [patterned(10_000, 3), patterned(10_000, 4), patterned(12_768, 5), patterned(1, 6)];
		for (const piece of pieces) {
			assembler.append(piece);
		}

		expect(assembler.join(32_769).equals(Buffer.concat(pieces))).toBe(true);
	});

	it('clear drops what was appended', () => {
		const assembler = new BodyAssembler();
		assembler.append(patterned(100, 7));
		assembler.append(patterned(20_000, 8));
		assembler.clear();
		assembler.append(Buffer.from('abc'));
		expect(assembler.join(3).toString()).toBe('abc');
	});
});
