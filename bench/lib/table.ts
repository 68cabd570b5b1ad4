import type {CaseResult, Target} from './result.js';

function formatNumber(value: number): string {
	if (!Number.isFinite(value)) {
		return 'n/a';
	}

	if (Math.abs(value) >= 100) {
		return Math.round(value).toLocaleString('en-US');
	}

	return value.toFixed(Math.abs(value) >= 10 ? 1 : 2);
}

function formatTarget(target: Target | undefined): string {
	return target ? `${target.op} ${target.value}` : '';
}

function verdict(met: boolean | undefined): string {
	return met === undefined ? '' : met ? 'MET' : 'NOT MET';
}

function pad(rows: readonly string[][]): string[] {
	const widths = rows[0]!.map((_, column) => Math.max(...rows.map(row => row[column]!.length)));
	return rows.map(row =>
		row
			.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
			.join('  ')
			.trimEnd(),
	);
}

/** The human-readable report: per case its medians, then its ratios and checks with targets. */
export function formatTable(results: readonly CaseResult[]): string {
	const lines: string[] = [];
	for (const result of results) {
		lines.push('', `## ${result.title}`);
		if (result.figures.length > 0) {
			lines.push(
				...pad([
					['figure', 'median', 'unit', 'spread', 'rounds'],
					...result.figures.map(f => [f.name, formatNumber(f.median), f.unit, formatSpread(f.spread), String(f.rounds.length)]),
				]),
			);
		}

		const judged = [
			...result.comparisons.map(c => [c.name, formatNumber(c.ratio), 'ratio', formatTarget(c.target), verdict(c.met)]),
			...result.checks.map(c => [c.name, formatNumber(c.value), c.unit, formatTarget(c.target), verdict(c.met)]),
		];
		if (judged.length > 0) {
			lines.push('', ...pad([['comparison', 'value', 'unit', 'target', ''], ...judged]));
		}

		for (const note of result.notes) {
			lines.push(`  note: ${note}`);
		}
	}

	return lines.join('\n');
}

/** A spread as a percentage; a median of 0 (nothing happened in most rounds) has none to speak of. */
function formatSpread(spread: number): string {
	return Number.isFinite(spread) ? `${Math.round(spread * 100)}%` : '—';
}
