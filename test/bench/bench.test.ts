/**
 * The bench's own smoke test: its arithmetic, and one short real run of a case that needs no
 * qemu-ga. No timing is asserted (figures on a shared machine are whatever they are).
 */
import {execFile} from 'node:child_process';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {promisify} from 'node:util';
import {describe, expect, it} from 'vitest';
import {compare} from '../../bench/lib/result.js';
import {interleave, pairedContenders} from '../../bench/lib/rounds.js';
import {largestGetfileBytes} from '../../bench/lib/sizes.js';
import {median} from '../../bench/lib/stats.js';
import {formatTable} from '../../bench/lib/table.js';
import {encodeResponse} from '../../src/protocol/codec.js';
import {tempDir} from '../helpers/socket-pair.js';

const run = promisify(execFile);

describe('bench arithmetic', () => {
	it('takes medians of odd and even counts', () => {
		expect(median([5, 1, 3])).toBe(3);
		expect(median([4, 1, 3, 2])).toBe(2.5);
		expect(median([])).toBeNaN();
	});

	it("rotates who goes first each round and keeps each contender's own figures", async () => {
		const order: string[] = [];
		const contender = (name: string, values: number[]) => ({
			name,
			unit: 'x',
			run: async () => {
				order.push(name);
				return values.shift()!;
			},
		});
		const figures = await interleave([contender('a', [0, 10, 30, 20]), contender('b', [0, 1, 3, 2])], {rounds: 3, warmup: 1});
		expect(order).toEqual(['a', 'b', 'a', 'b', 'b', 'a', 'a', 'b']);
		expect(figures.map(f => [f.name, f.median, f.rounds])).toEqual([
			['a', 20, [10, 30, 20]],
			['b', 2, [1, 3, 2]],
		]);
		expect(compare(figures, 'a/b', 'a', 'b', {op: '>=', value: 11})).toMatchObject({ratio: 10, met: false});
		expect(compare(figures, 'a/missing', 'a', 'nobody')).toBeUndefined();
	});

	it('paired contenders take turns call by call, and each round measures the pair once, whoever the rotation puts first', async () => {
		const calls: string[] = [];
		const [a, b] = pairedContenders(4, {name: 'a', call: async () => calls.push('a')}, {name: 'b', call: async () => calls.push('b')});
		const figures = await interleave([a, b], {rounds: 3, warmup: 1});
		// 4 rounds (warm-up included), one paired measurement each, 4 calls of each per measurement.
		expect(calls.filter(name => name === 'a')).toHaveLength(16);
		expect(calls.filter(name => name === 'b')).toHaveLength(16);
		// In turns, and who goes first alternates call by call.
		expect(calls.slice(0, 8)).toEqual(['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']);
		for (const figure of figures) {
			expect(figure.rounds).toHaveLength(3);
			expect(figure.rounds.every(rate => Number.isFinite(rate) && rate > 0)).toBe(true);
		}
	});

	it('finds the largest file whose va.getfile reply fits the body limit', () => {
		for (const bodyMax of [2 * 1024 * 1024, 4096, 1000]) {
			const bytes = largestGetfileBytes(bodyMax);
			expect(encodeResponse(Buffer.alloc(bytes)).length).toBeLessThanOrEqual(bodyMax);
			expect(encodeResponse(Buffer.alloc(bytes + 1)).length).toBeGreaterThan(bodyMax);
		}
	});

	it('prints a verdict only where there is a target', () => {
		const table = formatTable([
			{
				id: 't',
				title: 'T',
				figures: [{name: 'fast', unit: 'calls/s', median: 1234.5, rounds: [1234.5], spread: 0}],
				comparisons: [{name: 'with target', candidate: 'fast', baseline: 'slow', ratio: 0.5, target: {op: '>=', value: 1}, met: false}],
				checks: [{name: 'info only', value: 3, unit: 'MiB'}],
				notes: ['a note'],
			},
		]);
		expect(table).toContain('1,235');
		expect(table).toMatch(/with target\s+0\.50\s+ratio\s+>= 1\s+NOT MET/);
		expect(table).toMatch(/info only\s+3\.00\s+MiB\s*$/m);
		expect(table).toContain('note: a note');
	});
});

describe('npm run bench', () => {
	it('runs a case end to end and writes every figure to the JSON file', async () => {
		const {dir, remove} = tempDir('va-bench-test-');
		try {
			const out = path.join(dir, 'result.json');
			const {stdout} = await run(process.execPath, ['dist/bench/run.js', '--only', 'duplex', '--rounds', '1', '--calls', '200', '--out', out], {
				timeout: 20_000,
			});
			expect(stdout).toContain('4. Both directions at once');
			const result = JSON.parse(readFileSync(out, 'utf8')) as {
				machine: {cpus: number; node: string};
				timestamp: string;
				results: Array<{id: string; figures: Array<{name: string; median: number}>; comparisons: unknown[]}>;
			};
			expect(result.machine.node).toBe(process.version);
			expect(result.machine.cpus).toBeGreaterThan(0);
			expect(Date.parse(result.timestamp)).not.toBeNaN();
			const [duplex] = result.results;
			expect(duplex?.id).toBe('duplex');
			expect(duplex?.figures.map(f => f.name)).toEqual([
				'host→guest alone',
				'guest→host alone',
				'host→guest during duplex',
				'guest→host during duplex',
				'both directions together',
			]);
			for (const figure of duplex!.figures) {
				expect(figure.median).toBeGreaterThan(0);
			}

			expect(duplex?.comparisons).toHaveLength(3);
		} finally {
			remove();
		}
	}, 30_000);
});
