/*
 * A short `npm run fuzz` inside `npm test`: both real programs (the compiled guest daemon and
 * monitor) against a fixed seed of hostile frames, about 8 s each.
 *
 * Left out until the fixes of issue #10 are merged (the lead re-enables each by removing it
 * from `excluded`):
 * - flood        10,000 requests in one write: 8,020 are never answered, on both ends
 *                (#10 item 7, engine: back-pressure instead of drops).
 * - stall        passes since the parsers' stall timeout, but ~12 s a case: too slow here.
 * - slow-reader  ~10 s a case (replies never read until the guest declares the channel stuck,
 *                #10 item 5, engine); too slow here.
 * Re-enabled after the parsers' fixes landed: tag, deep-nesting, big-number, and the check that
 * no raw escape reaches the guest's own log.
 */
import {spawnSync} from 'node:child_process';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const excluded = ['flood', 'stall', 'slow-reader'];

type Finding = {kind: string; target: string; round: number; cls: string; label: string; detail: string; input?: string};
type Stats = {target: string; cases: number; frames: number; goodRequests: number; unanswered: number; crashes: number; peakRss: number; findings: Finding[]};

describe('npm run fuzz (smoke)', () => {
	it('neither program dies, stalls or bloats under a fixed seed of hostile frames', () => {
		const run = spawnSync(
			process.execPath,
			[path.join(repoRoot, 'dist/fuzz/run.js'), '--seconds', '8', '--seed', '20261129', '--exclude', excluded.join(','), '--no-linearity', '--json'],
			{
				encoding: 'utf8',
				timeout: 120_000,
			},
		);
		const lines = run.stdout.trim().split('\n');
		const result = JSON.parse(lines.at(-1)!) as {stats: Stats[]};
		expect(result.stats.map(stats => stats.target)).toEqual(['guest', 'monitor']);
		for (const stats of result.stats) {
			// It really ran: hostile cases and the good requests after each.
			expect(stats.cases, `${stats.target} cases`).toBeGreaterThan(20);
			expect(stats.goodRequests).toBe(stats.cases);
			expect(stats.findings, `${stats.target} findings:\n${run.stdout}`).toEqual([]);
			expect(stats.crashes).toBe(0);
			expect(stats.unanswered).toBe(0);
			expect(stats.peakRss).toBeGreaterThan(0);
		}
	}, 150_000);
});
