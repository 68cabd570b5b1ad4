/*
 * `npm run fuzz [-- options]`: both real programs against hostile frames, then the linearity
 * ratios. Exit 0 only if nothing died, every good request was answered, RSS stayed under the
 * bound, no raw escape was printed and every ratio is at most 3.
 */
import {parseArgs} from 'node:util';
import {fuzzGuest, type TargetOptions} from './guest-target.js';
import {type CaseClass, caseClasses} from './hostile.js';
import {formatRatio, guestRatios, inProcessRatios, maxRatio, monitorRatios, type Ratio} from './linearity.js';
import {fuzzMonitor} from './monitor-target.js';
import {formatFinding, formatStats, type TargetStats} from './report.js';

export const fuzzUsage = `usage: npm run fuzz -- [options]

  --seconds N        hostile frames for N seconds per program (default 60)
  --seed N           the generator's seed (default: the time; printed so a run can be repeated)
  --target T         guest, monitor or both (default both)
  --classes LIST     comma-separated case classes (default all): ${caseClasses.join(', ')}
  --exclude LIST     classes to leave out
  --rss-mb N         RSS bound per program in MB (default 200)
  --good-ms N        how long a good request may take after an ordinary case (default 5000)
  --stall-ms N       the stall timeout the programs apply to a started frame (default 10000)
  --linear-size N    characters of the N input of the linearity measure (default 262144)
  --linear-cap-ms N  a linearity measurement slower than this counts as blocked (default 20000)
  --no-linearity     skip the linearity measure
  --linearity-only   only the linearity measure
  --json             also print the whole result as one JSON line at the end`;

export type FuzzConfig = TargetOptions & {
	readonly targets: ReadonlyArray<'guest' | 'monitor'>;
	readonly linearity: boolean;
	readonly hostile: boolean;
	readonly linearSize: number;
	readonly linearCapMs: number;
	readonly json: boolean;
};

function classList(text: string): CaseClass[] {
	const names = text
		.split(',')
		.map(name => name.trim())
		.filter(name => name !== '');
	for (const name of names) {
		if (!(caseClasses as readonly string[]).includes(name)) {
			throw new Error(`unknown case class '${name}' (known: ${caseClasses.join(', ')})`);
		}
	}

	return names as CaseClass[];
}

export function parseFuzzArgs(args: readonly string[], log: (line: string) => void = console.log): FuzzConfig | 'help' {
	const {values} = parseArgs({
		args: [...args],
		options: {
			seconds: {type: 'string'},
			seed: {type: 'string'},
			target: {type: 'string'},
			classes: {type: 'string'},
			exclude: {type: 'string'},
			'rss-mb': {type: 'string'},
			'good-ms': {type: 'string'},
			'stall-ms': {type: 'string'},
			'linear-size': {type: 'string'},
			'linear-cap-ms': {type: 'string'},
			'no-linearity': {type: 'boolean'},
			'linearity-only': {type: 'boolean'},
			json: {type: 'boolean'},
			help: {type: 'boolean', short: 'h'},
		},
	});
	if (values.help) {
		return 'help';
	}

	const number = (text: string | undefined, fallback: number): number => {
		const value = text === undefined ? fallback : Number(text);
		if (!Number.isFinite(value) || value < 0) {
			throw new Error(`expected a number, got '${text}'`);
		}

		return value;
	};

	const target = values.target ?? 'both';
	if (!['guest', 'monitor', 'both'].includes(target)) {
		throw new Error(`--target: guest, monitor or both, got '${target}'`);
	}

	const excluded = new Set(classList(values.exclude ?? ''));
	const classes = (values.classes === undefined ? [...caseClasses] : classList(values.classes)).filter(cls => !excluded.has(cls));
	if (classes.length === 0) {
		throw new Error('no case class left to run');
	}

	return {
		seconds: number(values.seconds, 60),
		seed: Math.floor(number(values.seed, Date.now() % 1_000_000_007)),
		classes,
		rssBound: number(values['rss-mb'], 200) * 1_048_576,
		goodBoundMs: number(values['good-ms'], 5000),
		stallMs: number(values['stall-ms'], 10_000),
		log,
		targets: target === 'both' ? ['guest', 'monitor'] : [target as 'guest' | 'monitor'],
		linearity: !values['no-linearity'],
		hostile: !values['linearity-only'],
		linearSize: Math.floor(number(values['linear-size'], 262_144)),
		linearCapMs: number(values['linear-cap-ms'], 20_000),
		json: values.json ?? false,
	};
}

export type FuzzResult = {
	readonly stats: TargetStats[];
	readonly ratios: Ratio[];
	readonly ok: boolean;
};

export async function runFuzz(config: FuzzConfig): Promise<FuzzResult> {
	const stats: TargetStats[] = [];
	const ratios: Ratio[] = [];
	if (config.hostile) {
		for (const target of config.targets) {
			config.log(`fuzzing the ${target} for ${config.seconds} s, seed ${config.seed}, classes ${config.classes.join(',')}`);
			stats.push(target === 'guest' ? await fuzzGuest(config) : await fuzzMonitor(config));
		}
	}

	if (config.linearity) {
		for (const target of config.targets) {
			ratios.push(
				...(target === 'guest'
					? await guestRatios(config.linearSize, config.linearCapMs, config.log)
					: await monitorRatios(config.linearSize, config.linearCapMs, config.log)),
			);
		}

		const blocked = new Set(ratios.filter(ratio => !Number.isFinite(ratio.ratio)).map(ratio => ratio.type));
		ratios.push(...(await inProcessRatios(config.linearSize, blocked, config.log)));
	}

	const ok = stats.every(target => target.findings.length === 0) && ratios.every(ratio => ratio.ratio <= maxRatio);
	return {stats, ratios, ok};
}

export function formatResult(result: FuzzResult, seed: number): string {
	const lines = [`seed ${seed}`];
	for (const target of result.stats) {
		lines.push(formatStats(target));
		lines.push(...target.findings.map(finding => formatFinding(finding)));
	}

	const failing = result.ratios.filter(ratio => ratio.ratio > maxRatio);
	if (result.ratios.length > 0) {
		const worst = result.ratios.filter(ratio => Number.isFinite(ratio.ratio)).sort((a, b) => b.ratio - a.ratio)[0];
		lines.push(
			`linearity: ${result.ratios.length} ratios, ${failing.length} over ${maxRatio}${worst ? `; worst passing or not: ${worst.end} ${worst.type} ${formatRatio(worst)}` : ''}`,
		);
		lines.push(...failing.map(ratio => `  LINEARITY ${ratio.end} ${ratio.type}: ${formatRatio(ratio)}`));
	}

	lines.push(result.ok ? 'fuzz: OK' : 'fuzz: FAILED');
	return lines.join('\n');
}

async function main(): Promise<number> {
	const config = parseFuzzArgs(process.argv.slice(2));
	if (config === 'help') {
		console.log(fuzzUsage);
		return 0;
	}

	const result = await runFuzz(config);
	console.log(formatResult(result, config.seed));
	if (config.json) {
		// Infinity (a blocked measurement) is not JSON: it is written as null.
		console.log(JSON.stringify({seed: config.seed, ...result}));
	}

	return result.ok ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
	main().then(
		code => {
			process.exitCode = code;
		},
		(error: unknown) => {
			console.error(`fuzz: ${error instanceof Error ? error.message : String(error)}`);
			process.exitCode = 2;
		},
	);
}
