import {execFileSync} from 'node:child_process';
import {describe, expect, it} from 'vitest';

/*
 * Ink 6.8 memoizes every text it measures or wraps; scripts/bound-ink-caches.mjs (run after every
 * install) bounds both caches, and the output caches it shares across frames. These run Ink's
 * own modules, the ones its renderer imports, in a child Node with the collector exposed, and
 * feed them what a long-lived screen or a hostile guest would: many distinct texts.
 */
function inChild(body: string): unknown {
	const script = `
const inkBuild = new URL('.', import.meta.resolve('ink'));
const {default: measureText} = await import(new URL('measure-text.js', inkBuild));
const {default: wrapText} = await import(new URL('wrap-text.js', inkBuild));
const {default: Output} = await import(new URL('output.js', inkBuild));
const heapAfterGc = () => (gc(), gc(), process.memoryUsage().heapUsed);
${body}`;
	const output = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {encoding: 'utf8', cwd: process.cwd()});
	return JSON.parse(output);
}

describe("Ink's text caches (bounded after install)", () => {
	it('hold a bounded number of texts: 20,000 distinct lines measured and wrapped leave the heap where it was', () => {
		const grown = inChild(`
const line = i => 'guest says ' + i.toString(36) + ' ' + '·'.repeat(40);
const feed = (from, to) => { for (let i = from; i < to; i++) { measureText(line(i)); wrapText(line(i), 40, 'wrap'); wrapText(line(i), 60, 'truncate-end'); } };
feed(0, 5000);
const before = heapAfterGc();
feed(5000, 25000);
console.log(JSON.stringify((heapAfterGc() - before) / 1048576));
`) as number;
		// Unbounded, the same feed kept every line with its wrapped and cut forms: 37 MiB.
		expect(grown).toBeLessThan(2);
	}, 60_000);

	it("keep Ink's frame output, shared across frames, bounded too: 20,000 distinct lines drawn leave the heap where it was", () => {
		const grown = inChild(`
const feed = (from, to) => { for (let i = from; i < to; i++) { const o = new Output({width: 120, height: 1}); o.write(0, 0, '\\u001B[36m' + i.toString(36) + ' ' + '·'.repeat(100) + '\\u001B[39m', {transformers: []}); o.get(); } };
feed(0, 2000);
const before = heapAfterGc();
feed(2000, 22000);
console.log(JSON.stringify((heapAfterGc() - before) / 1048576));
`) as number;
		// Kept without a bound, each line's ~100 cells would stay: ~660 MB.
		expect(grown).toBeLessThan(4);
	}, 60_000);

	it('still answer from the cache, and right, for texts seen again', () => {
		const answers = inChild(`
const first = measureText('a\\nbb\\nccc');
console.log(JSON.stringify({first, again: measureText('a\\nbb\\nccc'), same: first === measureText('a\\nbb\\nccc'), cut: wrapText('abcdefgh', 5, 'truncate-end')}));
`);
		expect(answers).toEqual({first: {width: 3, height: 3}, again: {width: 3, height: 3}, same: true, cut: 'abcd…'});
	});

	it('keep text, width and wrap mode apart in the key: "x1" at width 5 is not "x" at width 15', () => {
		const wrapped = inChild(`
console.log(JSON.stringify([wrapText('x1', 5, 'wrap'), wrapText('x', 15, 'wrap'), wrapText('ab', 1, 'wrap'), wrapText('a', 1, 'bwrap'.slice(1))]));
`);
		expect(wrapped).toEqual(['x1', 'x', 'a\nb', 'a']);
	});
});
