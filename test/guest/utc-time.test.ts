import {describe, expect, it} from 'vitest';
import {utcIsoPrefix} from '../../src/guest/utc-time.js';

const byDate = (second: number) => new Date(second * 1000).toISOString().slice(0, 20);

describe('utcIsoPrefix', () => {
	it('matches a Date on calendar edges', () => {
		const edges = [
			0, -1, 59, 86_399, 86_400, 951_782_400, 951_868_799, 951_868_800, 4_107_542_400, 4_107_628_800, -2_208_988_800, -62_167_219_200, -62_167_219_201,
			253_402_300_799, 253_402_300_800, 1_764_460_800,
		];
		for (const second of edges) {
			expect(utcIsoPrefix(second), String(second)).toBe(byDate(second));
		}
	});

	it('matches a Date on every day of 1599-2401 and at random seconds', () => {
		for (let second = -11_676_096_000; second < 13_574_563_200; second += 86_400) {
			const at = second + ((((second / 86_400) % 86_400) + 86_400) % 86_400);
			expect(utcIsoPrefix(at)).toBe(byDate(at));
		}

		// Years 0000-9999 (computed), and the whole range of a Date (through a Date).
		for (let i = 0; i < 20_000; i++) {
			const span = i % 2 === 0 ? [-62_167_219_200, 253_402_300_799] : [-8_640_000_000_000, 8_640_000_000_000];
			const second = span[0]! + Math.floor(Math.random() * (span[1]! - span[0]!));
			expect(utcIsoPrefix(second), String(second)).toBe(byDate(second));
		}
	});
});
