import {describe, expect, it} from 'vitest';

/*
 * Ink 6.8 turns each frame into text through @alcalzone/ansi-tokenize, which package.json's
 * `overrides` lifts from 0.2.5 (what Ink 6.8 asks for) to 0.3.2 (what Ink 7 and 8 use): it skips
 * the style diff between two cells of the same style (the 0.2 line allocated ~4.2 MB a frame of
 * the bench's screen doing it, 1.9 MB now) and fixes how bold and dim end. These run Ink's own
 * Output class, the one its renderer draws every frame with.
 */
type OutputCaches = {styledChars: Map<string, unknown>; widths: Map<string, number>; blockWidths: Map<string, number>; styledCharCount: number};
type InkOutput = {
	caches: OutputCaches;
	write(x: number, y: number, text: string, options: {transformers: unknown[]}): void;
	get(): {output: string};
};
const inkBuild = new URL('.', import.meta.resolve('ink'));
const {default: Output} = (await import(new URL('output.js', inkBuild).href)) as {default: new (size: {width: number; height: number}) => InkOutput};

function draw(lines: readonly string[], width = 20): string {
	const output = new Output({width, height: lines.length});
	for (const [y, line] of lines.entries()) {
		output.write(0, y, line, {transformers: []});
	}

	return output.get().output;
}

/** Each visible character with the SGR intensity and colour a terminal would show it in. */
function shown(text: string): Array<{char: string; bold: boolean; dim: boolean; fg: string}> {
	const state = {bold: false, dim: false, fg: '39'};
	const result: Array<{char: string; bold: boolean; dim: boolean; fg: string}> = [];
	for (const [, params, char] of text.matchAll(/\u001B\[([\d;]*)m|([^\u001B])/g)) {
		if (char !== undefined) {
			result.push({char, ...state});
			continue;
		}

		for (const code of (params === '' ? '0' : params!).split(';')) {
			if (code === '0') Object.assign(state, {bold: false, dim: false, fg: '39'});
			else if (code === '1') state.bold = true;
			else if (code === '2') state.dim = true;
			else if (code === '22') Object.assign(state, {bold: false, dim: false});
			else if (/^(3[0-9]|9[0-7])$/.test(code)) state.fg = code;
		}
	}

	return result;
}

describe("Ink's frame text (ansi-tokenize 0.3)", () => {
	it('keeps bold on after a dim part inside it ends (22m ends both; 0.2.5 left the rest plain)', () => {
		// What chalk writes for bold('A' + dim('b') + 'C'): 22m closes dim, then bold is opened again.
		const frame = shown(draw(['\u001B[1mA\u001B[2mb\u001B[22m\u001B[1mC\u001B[22m']));
		expect(frame.filter(cell => cell.char !== ' ')).toEqual([
			{char: 'A', bold: true, dim: false, fg: '39'},
			{char: 'b', bold: true, dim: true, fg: '39'},
			{char: 'C', bold: true, dim: false, fg: '39'},
		]);
	});

	it('writes a run of one style once, and every cell in the style it was given', () => {
		const line = `\u001B[36m●\u001B[39m \u001B[32mok\u001B[39m plain \u001B[2m→ 0.3 ms\u001B[22m`;
		const text = draw([line, 'second'], 30);
		// Each style opened once per run, not once per cell.
		expect(text.match(/\u001B\[32m/g)).toHaveLength(1);
		expect(text.match(/\u001B\[2m/g)).toHaveLength(1);
		expect(shown(text).filter(cell => cell.char !== '\n')).toEqual(shown(`${line}\nsecond`).filter(cell => cell.char !== '\n'));
	});
});

/** A small seeded generator, so that a failure names lines that can be drawn again. */
function randomLines(seed: number) {
	let state = seed;
	const next = (below: number) => {
		state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
		return state % below;
	};

	const pieces = ['ok', 'IDLE', ' → ', 'SEND', '●', '·', '世界', '🙂', 'va.ping', ' ', '42 ms', 'é', 'x'];
	const styles = ['', '\u001B[1m', '\u001B[2m', '\u001B[31m', '\u001B[36m', '\u001B[1m\u001B[2m'];
	const ends = ['', '\u001B[22m', '\u001B[39m', '\u001B[0m'];
	return (count: number) =>
		Array.from({length: count}, () => {
			let line = '';
			for (let index = next(8); index > 0; index--) {
				line += styles[next(styles.length)]! + pieces[next(pieces.length)]! + ends[next(ends.length)]!;
			}

			return line;
		});
}

describe("Ink's frame caches (kept across frames by scripts/bound-ink-caches.mjs)", () => {
	it('draw every frame as a frame with empty caches draws it: 300 frames of styled, wide and repeated lines', () => {
		const lines = randomLines(7);
		let pool = lines(40);
		for (let frame = 0; frame < 300; frame++) {
			// Most lines come back from earlier frames, as on the live screen; some are new.
			pool = [...pool.slice(5), ...lines(5)];
			const shownLines = Array.from({length: 12}, (_, index) => pool[(frame * 7 + index * 3) % pool.length]!);
			const warm = draw(shownLines, 40);
			const caches = new Output({width: 1, height: 1}).caches;
			caches.styledChars.clear();
			caches.widths.clear();
			caches.blockWidths.clear();
			caches.styledCharCount = 0;
			expect(warm, `frame ${frame}`).toBe(draw(shownLines, 40));
		}
	});

	it('are one set for every Output, and hold at most 8,192 styled cells however many lines go by', () => {
		const first = new Output({width: 1, height: 1}).caches;
		expect(new Output({width: 1, height: 1}).caches).toBe(first);
		for (let index = 0; index < 2000; index++) {
			draw([`line ${index} ${'·'.repeat(100)}`], 120);
		}

		expect(first.styledCharCount).toBeLessThanOrEqual(8192);
		expect(first.styledChars.size).toBeLessThanOrEqual(8192 / 100);
		expect(first.styledChars.size).toBeGreaterThan(0);
	});
});
