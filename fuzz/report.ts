/** What one target's run found, and how it is printed. */
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {repoRoot} from './program.js';

export type Finding = {
	readonly kind: 'crash' | 'unanswered' | 'rss' | 'raw-escape' | 'linearity';
	readonly target: 'guest' | 'monitor';
	readonly round: number;
	readonly cls: string;
	readonly label: string;
	readonly detail: string;
	/** Where the case's bytes were saved, to replay it. */
	readonly input?: string;
};

export type TargetStats = {
	readonly target: 'guest' | 'monitor';
	cases: number;
	frames: number;
	goodRequests: number;
	unanswered: number;
	crashes: number;
	restarts: number;
	peakRss: number;
	readonly perClass: Record<string, number>;
	readonly findings: Finding[];
};

export function newStats(target: 'guest' | 'monitor'): TargetStats {
	return {target, cases: 0, frames: 0, goodRequests: 0, unanswered: 0, crashes: 0, restarts: 0, peakRss: 0, perClass: {}, findings: []};
}

export const outputDir = path.join(repoRoot, 'reports/fuzz');

/** Keep a case's bytes for replaying it: `reports/fuzz/<name>.bin`. */
export function saveInput(name: string, bytes: readonly Buffer[]): string {
	mkdirSync(outputDir, {recursive: true});
	const file = path.join(outputDir, `${name}.bin`);
	writeFileSync(file, Buffer.concat(bytes));
	return path.relative(repoRoot, file);
}

const mb = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`;

export function formatStats(stats: TargetStats): string {
	const classes = Object.entries(stats.perClass)
		.map(([cls, count]) => `${cls} ${count}`)
		.join(', ');
	return [
		`${stats.target}: ${stats.cases} hostile cases (${stats.frames} frames), ${stats.goodRequests} good requests`,
		`  crashes ${stats.crashes}, unanswered good requests ${stats.unanswered}, restarts ${stats.restarts}, peak RSS ${mb(stats.peakRss)}`,
		`  classes: ${classes}`,
	].join('\n');
}

export function formatFinding(finding: Finding): string {
	const input = finding.input === undefined ? '' : ` [input: ${finding.input}]`;
	return `  ${finding.kind.toUpperCase()} ${finding.target} round ${finding.round} (${finding.cls}: ${finding.label})${input}\n    ${finding.detail.split('\n').join('\n    ')}`;
}
