/*
 * A short `npm run fuzz` inside `npm test`: both real programs (the compiled guest daemon and
 * monitor) against a fixed seed of hostile frames, about 8 s each.
 *
 * Left out until the fixes of issue #10 are merged (the lead re-enables each by removing it
 * from `excluded` and, for raw escapes, from `toleratedFindings`):
 * - tag          a tag with a space, a byte >= 0x80 or ~4,020 characters is accepted and the
 *                encoder then throws: the process exits (#10 item 1, parsers/engine).
 * - deep-nesting 3,000 levels: unbounded recursion (#10 item 2, parsers).
 * - big-number   a 200,000-digit double blocks the process for ~30 s (#10 item 3, parsers).
 * - flood        10,000 requests in one write: most are never answered (#10 item 7, engine).
 * - stall        a short body then silence swallows the next request (#10 item 10, parsers);
 *                also ~12 s a case: too slow for npm test in any case.
 * - slow-reader  replies never read: memory grows (#10 item 5, engine); ~10 s a case.
 * - raw escapes on the guest's --verbose log (#10 item 8, parsers' src/guest/log.ts).
 */
import {spawnSync} from 'node:child_process';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const excluded = ['tag', 'deep-nesting', 'big-number', 'flood', 'stall', 'slow-reader'];
const toleratedFindings = new Set(['raw-escape']);

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
			const findings = stats.findings.filter(finding => !toleratedFindings.has(finding.kind));
			expect(findings, `${stats.target} findings:\n${run.stdout}`).toEqual([]);
			expect(stats.crashes).toBe(0);
			expect(stats.unanswered).toBe(0);
			expect(stats.peakRss).toBeGreaterThan(0);
		}
	}, 150_000);
});
