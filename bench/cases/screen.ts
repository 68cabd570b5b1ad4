import {execFile, spawnSync} from 'node:child_process';
import path from 'node:path';
import {promisify} from 'node:util';
import {type BenchOptions, scratch, withCleanup} from '../lib/context.js';
import {cliPath, projectRoot} from '../lib/paths.js';
import {type CaseResult, check, compare, present} from '../lib/result.js';
import {type Contender, type Figure, interleave} from '../lib/rounds.js';
import {median, relativeSpread} from '../lib/stats.js';
import {startGuestDaemonForMonitors} from '../peers/guest-daemon.js';

const run = promisify(execFile);
const driver = path.join(projectRoot, 'bench', 'pty-drive.py');

type DriveResult = {seconds: number; frameSeconds: number; calls: number; frames: number; bytes: number; errors: number; firstError: string | null};

/**
 * Case 5: the monitor with its Ink screen live on a pseudo-terminal against the monitor in
 * scripted mode, the same closed loop of agent_ping (the next command is typed when the
 * previous one's record reaches the `-l` log, a FIFO, in both modes). bench/pty-drive.py owns
 * the terminal and counts Ink's redraws in what the monitor writes to it. The monitor with
 * `--plain` on the same kind of terminal is shown beside them: it pays for the terminal's input
 * path and the interactive shell but draws no screen, so screen / plain is the screen's own share.
 */
export async function screenCase(options: BenchOptions): Promise<CaseResult> {
	// Long enough that the last frame and a cold start are a small part of the window.
	const calls = options.quick ? 500 : 2000;
	const title = `5. The live Ink screen against scripted mode: ${calls} agent_ping, one at a time`;
	if (spawnSync('python3', ['--version']).status !== 0) {
		return {id: 'screen', title, figures: [], comparisons: [], checks: [], notes: ['python3 is not installed (it drives the pseudo-terminal): case skipped']};
	}

	const framesPerSecond: number[] = [];
	let logNumber = 0;
	const figures = await withCleanup(async defer => {
		const work = scratch('screen');
		defer(work.remove);
		await startGuestDaemonForMonitors(work.file('guest.sock'), defer);

		const drive = async (mode: 'pty' | 'pipe' | 'plain'): Promise<DriveResult> => {
			const log = work.file(`log-${logNumber++}.fifo`);
			const terminal = mode === 'plain' ? ['--mode', 'pty', '--ready', '(virtagent)'] : ['--mode', mode];
			const {stdout} = await run(
				'python3',
				[
					driver,
					...terminal,
					'--count',
					String(calls),
					'--log',
					log,
					'--',
					process.execPath,
					cliPath,
					'monitor',
					...(mode === 'plain' ? ['--plain'] : []),
					'--connect',
					work.file('guest.sock'),
					'-l',
					log,
				],
				{
					env: {...process.env, HOME: work.dir},
					maxBuffer: 1024 * 1024,
				},
			);
			const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as DriveResult;
			if (result.errors > 0 || result.calls !== calls) {
				throw new Error(`${mode}: ${result.calls} of ${calls} calls answered, ${result.errors} errors (first: ${result.firstError})`);
			}

			return result;
		};

		const contenders: Contender[] = [
			{name: 'monitor scripted (stdin a pipe)', unit: 'calls/s', run: async () => rate(await drive('pipe'))},
			{name: 'monitor --plain (pty, no screen)', unit: 'calls/s', run: async () => rate(await drive('plain'))},
			{
				name: 'monitor with its Ink screen (pty)',
				unit: 'calls/s',
				async run() {
					const result = await drive('pty');
					framesPerSecond.push(result.frames / result.frameSeconds);
					return rate(result);
				},
			},
		];
		return interleave(contenders, options);
	});

	// The warm-up round's redraws are not part of the figure.
	const measured = framesPerSecond.slice(-options.rounds);
	const redraws: Figure = {
		name: 'screen redraws during the workload',
		unit: 'frames/s',
		median: median(measured),
		rounds: measured,
		spread: relativeSpread(measured),
	};
	return {
		id: 'screen',
		title,
		figures: [...figures, redraws],
		comparisons: present([
			compare(figures, 'screen / scripted (cost ≤ 10%)', 'monitor with its Ink screen (pty)', 'monitor scripted (stdin a pipe)', {op: '>=', value: 0.9}),
			compare(figures, 'screen / plain on the same terminal', 'monitor with its Ink screen (pty)', 'monitor --plain (pty, no screen)'),
			compare(figures, 'plain on a terminal / scripted', 'monitor --plain (pty, no screen)', 'monitor scripted (stdin a pipe)'),
		]),
		checks: [check('redraws per second', redraws.median, 'frames/s', {op: '<=', value: 30})],
		notes: ["redraws are counted as Ink's erase-previous-frame sequences (ESC[2K ESC[G) in the terminal output"],
	};
}

function rate(result: DriveResult): number {
	return result.calls / result.seconds;
}
