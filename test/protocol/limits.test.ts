/** The frame limits a decoder runs with: the defaults under what is given, refused when unusable. */
import {describe, expect, it} from 'vitest';
import {defaultFrameLimits, frameLimits} from '../../src/protocol/limits.js';

describe('frameLimits', () => {
	it('is the defaults with what is given over them', () => {
		expect(frameLimits()).toEqual(defaultFrameLimits);
		expect(frameLimits({bodyMax: 0, headerStallMs: 0.5})).toEqual({...defaultFrameLimits, bodyMax: 0, headerStallMs: 0.5});
		expect(frameLimits({headerMax: 16})).toEqual({...defaultFrameLimits, headerMax: 16});
	});

	it('refuses the first unusable value, stall times first', () => {
		expect(() => frameLimits({headerMax: 1, bodyStallMs: Number.NaN})).toThrow(
			new RangeError('bodyStallMs must be a positive number of milliseconds, got NaN'),
		);
		expect(() => frameLimits({headerStallMs: 0, bodyStallMs: -1})).toThrow(new RangeError('headerStallMs must be a positive number of milliseconds, got 0'));
		expect(() => frameLimits({headerMax: 15, bodyMax: -1})).toThrow(new RangeError('headerMax must be an integer >= 16, got 15'));
		expect(() => frameLimits({headerMax: 2 ** 53})).toThrow(new RangeError(`headerMax must be an integer >= 16, got ${2 ** 53}`));
		expect(() => frameLimits({bodyMax: Number.POSITIVE_INFINITY})).toThrow(new RangeError('bodyMax must be an integer >= 0, got Infinity'));
	});
});
