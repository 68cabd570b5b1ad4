import {spawnSync} from 'node:child_process';

/**
 * Instructions per operation of a profile script, under valgrind's callgrind: the script runs
 * itself twice, `args(count)` with `count` operations and then with twice as many after the
 * same warm-up, and the difference is divided by `count` (start-up and warm-up cancel out).
 * V8 runs single-threaded there: compiler and collector on this thread, the same work at the
 * same points in every run. A figure the machine's load does not move.
 */
export function instructionsPerOperation(script: string, count: number, args: (count: number) => readonly string[]): number {
	const env = {...process.env};
	delete env['NODE_EXTRA_CA_CERTS']; // Makes every Node start parse a CA bundle: noise here.
	const run = (operations: number): number => {
		// VA_PREDICTABLE_GC=1: V8 sizes its heap the same way every run (repeated counts then agree
		// within a few %, against ~10% without; the figures differ from those taken without it).
		const gc = process.env['VA_PREDICTABLE_GC'] ? ['--predictable-gc-schedule'] : [];
		const argv = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--single-threaded', ...gc, script, ...args(operations)];
		// callgrind reports on stderr.
		const {stderr} = spawnSync('valgrind', argv, {env, encoding: 'utf8'});
		const collected = /Collected : (\d+)/.exec(stderr)?.[1];
		if (collected === undefined) {
			throw new Error(`no count from callgrind: ${stderr.slice(-500)}`);
		}

		return Number(collected);
	};

	const few = run(count);
	const many = run(2 * count);
	return (many - few) / count;
}
