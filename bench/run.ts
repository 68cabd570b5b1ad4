/**
 * `npm run bench [-- --quick] [-- --only ping,getfile]`: runs the cases of issue #6, prints a
 * table and writes every figure to bench/results/latest.json. Ratios are taken between figures
 * measured in the same run (the machine is shared: absolute rates mean little).
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {duplexCase} from './cases/duplex.js';
import {fleetCase} from './cases/fleet.js';
import {getfileCase} from './cases/getfile.js';
import {memoryCase} from './cases/memory.js';
import {pingCase} from './cases/ping.js';
import {qgaCase} from './cases/qga.js';
import {screenCase} from './cases/screen.js';
import {startupCase} from './cases/startup.js';
import type {BenchOptions} from './lib/context.js';
import {describeMachine} from './lib/machine.js';
import {projectRoot} from './lib/paths.js';
import type {CaseResult} from './lib/result.js';
import {formatTable} from './lib/table.js';

type BenchCase = {
	readonly id: string;
	readonly run: (options: BenchOptions) => Promise<CaseResult>;
};

const cases: readonly BenchCase[] = [
	{id: 'ping', run: pingCase},
	{id: 'getfile', run: getfileCase},
	{id: 'duplex', run: duplexCase},
	{id: 'screen', run: screenCase},
	{id: 'startup', run: startupCase},
	{id: 'memory', run: memoryCase},
	{id: 'qga', run: qgaCase},
	{id: 'fleet', run: fleetCase},
];

const usage = `usage: node dist/bench/run.js [--quick] [--only ${cases.map(c => c.id).join(',')}] [--rounds N] [--calls N] [--out FILE]`;

async function main(): Promise<number> {
	const {values} = parseArgs({
		options: {
			quick: {type: 'boolean', default: false},
			only: {type: 'string'},
			rounds: {type: 'string'},
			calls: {type: 'string'},
			out: {type: 'string'},
			help: {type: 'boolean', short: 'h', default: false},
		},
	});
	if (values.help) {
		console.log(usage);
		return 0;
	}

	const quick = values.quick!;
	const options: BenchOptions = {
		quick,
		rounds: values.rounds ? Number(values.rounds) : quick ? 3 : 9,
		warmup: 1,
		calls: values.calls ? Number(values.calls) : quick ? 1000 : 2000,
		memoryCalls: quick ? 10_000 : 100_000,
	};
	const only = values.only?.split(',').map(id => id.trim());
	const unknown = only?.filter(id => !cases.some(c => c.id === id)) ?? [];
	if (unknown.length > 0) {
		console.error(`unknown case ${unknown.join(', ')}\n${usage}`);
		return 2;
	}

	const selected = cases.filter(c => !only || only.includes(c.id));
	const machine = describeMachine();
	console.log(
		`virtagent bench: ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, load ${machine.loadAverage.map(l => l.toFixed(2)).join(' ')}; ${options.rounds} rounds${quick ? ' (quick)' : ''}`,
	);
	const results: CaseResult[] = [];
	let failed = false;
	for (const benchCase of selected) {
		try {
			const result = await benchCase.run(options);
			results.push(result);
			console.log(formatTable([result]));
		} catch (error) {
			failed = true;
			const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
			console.error(`\ncase ${benchCase.id} failed: ${message}`);
			results.push({id: benchCase.id, title: benchCase.id, figures: [], comparisons: [], checks: [], notes: [`failed: ${message.split('\n')[0]}`]});
		}
	}

	const outFile = values.out ?? path.join(projectRoot, 'bench', 'results', 'latest.json');
	mkdirSync(path.dirname(outFile), {recursive: true});
	writeFileSync(outFile, `${JSON.stringify({timestamp: new Date().toISOString(), machine, options, results}, null, '\t')}\n`);
	console.log(`\nwrote ${path.relative(process.cwd(), outFile) || outFile}`);
	return failed ? 1 : 0;
}

process.exitCode = await main();
