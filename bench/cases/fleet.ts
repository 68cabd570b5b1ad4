import {fork} from 'node:child_process';
import {mkdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {type BenchOptions, scratch, withCleanup} from '../lib/context.js';
import {benchModule} from '../lib/paths.js';
import {type Child, startChild, waitForLine} from '../lib/process.js';
import {type CaseResult, type Check, check} from '../lib/result.js';
import type {Figure} from '../lib/rounds.js';
import {median, relativeSpread} from '../lib/stats.js';
import type {FleetFigures, MeasureRequest} from '../peers/fleet-monitor-main.js';
import {guestArgs} from '../peers/guest-daemon.js';

const mebibyte = 1024 * 1024;
/** Real `virtagent guest` processes in every fleet; the rest are GuestDaemons in one farm process. */
const realDaemons = 4;

function figure(name: string, unit: string, rounds: readonly number[]): Figure {
	return {name, unit, median: median(rounds), rounds, spread: relativeSpread(rounds)};
}

/** One fleet of `count` guests: the monitor process, the guests, the measurements. */
async function measureFleet(count: number, rounds: number): Promise<FleetFigures & {rssBaseline: number}> {
	return withCleanup(async defer => {
		const work = scratch(`fleet-${count}`);
		defer(work.remove);
		// React's production build, as bin/virtagent.js runs the monitor.
		const monitor = fork(benchModule('peers/fleet-monitor-main.js'), [work.dir], {
			stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
			env: {...process.env, NODE_ENV: 'production'},
		});
		let stderr = '';
		monitor.stderr!.setEncoding('utf8');
		monitor.stderr!.on('data', (text: string) => {
			stderr = (stderr + text).slice(-4000);
		});
		defer(() => {
			monitor.disconnect();
		});
		const next = async <T>(): Promise<T> =>
			new Promise<T>((resolve, reject) => {
				const onExit = (code: number | null) => {
					reject(new Error(`the fleet monitor exited (${code}): ${stderr.trim()}`));
				};

				monitor.once('exit', onExit);
				monitor.once('message', message => {
					monitor.off('exit', onExit);
					const typed = message as {type: string; message?: string};
					if (typed.type === 'failed') {
						reject(new Error(typed.message));
					} else {
						resolve(message as T);
					}
				});
			});
		const {rss: rssBaseline} = await next<{rss: number}>();
		const daemons: Child[] = [];
		for (let index = 1; index <= Math.min(realDaemons, count); index++) {
			const directory = path.join(work.dir, `domain-${index}-real${index}`);
			mkdirSync(directory);
			const daemon = startChild(process.execPath, guestArgs('unix-listen', path.join(directory, 'org.qemu.virtagent')));
			defer(daemon.stop);
			daemons.push(daemon);
		}

		const farm = startChild(process.execPath, [benchModule('peers/guest-farm-main.js'), work.dir, String(count - daemons.length), 'vm']);
		defer(farm.stop);
		await waitForLine(farm, /^ready$/u, 300_000);
		const request: MeasureRequest = {type: 'measure', guests: count, pids: [farm.pid, ...daemons.map(daemon => daemon.pid)], rounds, idleMs: 3000};
		monitor.send(request);
		const result = await next<FleetFigures>();
		return {...result, rssBaseline};
	});
}

function fleetChecks(result: FleetFigures & {rssBaseline: number}): {figures: Figure[]; checks: Check[]} {
	const n = result.guests;
	const onePing = median(result.onePingMs);
	const cpu = median(result.sequentialCpuMs);
	const all = median(result.allPingMs);
	return {
		figures: [
			figure(`${n} guests: @all agent_ping`, 'ms', result.allPingMs),
			figure(`${n} guests: one agent_ping to one guest`, 'ms', result.onePingMs),
			figure(`${n} guests: CPU of ${n} sequential pings (monitor + guests)`, 'ms', result.sequentialCpuMs),
			figure(`${n} guests: ${n} sequential pings, wall`, 'ms', result.sequentialWallMs),
			figure(`${n} guests: redraws during @all`, 'redraws/s', result.fanOutRedrawsPerSecond),
		],
		checks: [
			check(`${n} guests: @all time / (one ping + ${n} pings' CPU)`, all / (onePing + cpu), '×', {op: '<=', value: 2}),
			check(`${n} guests: redraws/s during @all (median)`, median(result.fanOutRedrawsPerSecond), '/s', {op: '<=', value: 30}),
			check(`${n} guests: monitor RSS growth per guest`, (result.rssReady - result.rssBaseline) / n / mebibyte, 'MiB', {op: '<=', value: 0.5}),
			check(`${n} guests: monitor RSS, all ready`, result.rssReady / mebibyte, 'MiB'),
			check(`${n} guests: idle CPU of the monitor (screen live, nothing typed)`, (result.idleMonitorCpuMs / result.idleMs) * 100, '% of a core'),
			check(`${n} guests: idle CPU of the guests`, (result.idleGuestCpuMs / result.idleMs) * 100, '% of a core'),
			check(`${n} guests: idle redraws`, result.idleRedraws, 'in 3 s'),
			check(`${n} guests: time until all ready (discovery, connect, hello, negotiation)`, result.readyMs / 1000, 's'),
		],
	};
}

/**
 * Case 8, the fleet (issue #13): one monitor over 100 guests, then 1,000. A few guests are real
 * `virtagent guest` processes, the rest GuestDaemons in one farm process (the same handlers and
 * engine, one socket each), all in libvirt's layout under a directory the monitor discovers.
 * The monitor runs with its live screen mounted on a counting terminal. The @all target is a
 * ratio of figures of the same run: the fan-out against one ping plus the CPU the N pings cost.
 */
export async function fleetCase(options: BenchOptions): Promise<CaseResult> {
	const sizes = options.quick ? [100] : [100, 1000];
	const rounds = options.quick ? 3 : 5;
	const figures: Figure[] = [];
	const checks: Check[] = [];
	const notes: string[] = [
		`each fleet: ${realDaemons} real guest daemon processes, the rest GuestDaemons in one process; ${rounds} rounds after a warm-up round; "N pings' CPU" is user+system time of the monitor and every guest process over N sequential pings (one per guest)`,
		`RSS growth per guest: the monitor's RSS with every guest ready, minus its RSS with the screen mounted and no guest, over N`,
	];
	// What would break first at 1,000: the monitor holds one socket per guest (plus its own few).
	const openFiles = /^Max open files\s+(\d+|unlimited)/mu.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 'unknown';
	notes.push(
		`open files allowed (ulimit -n): ${openFiles}; the monitor needs one per guest, so at the common 1024 a fleet of ~1,000 guests is the limit (past it, connects fail EMFILE and are retried)`,
	);
	for (const count of sizes) {
		try {
			const result = await measureFleet(count, rounds);
			const made = fleetChecks(result);
			figures.push(...made.figures);
			checks.push(...made.checks);
			if (result.failures.length > 0) {
				notes.push(`${count} guests: failed jobs on ${result.failures.slice(0, 10).join(', ')}`);
			}
		} catch (error) {
			notes.push(`${count} guests: failed: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`);
		}
	}

	return {id: 'fleet', title: '8. One monitor, many guests (issue #13)', figures, comparisons: [], checks, notes};
}
