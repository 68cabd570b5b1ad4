import {type BenchOptions, scratch, withCleanup} from '../lib/context.js';
import {cliPath} from '../lib/paths.js';
import {type Child, residentBytes, startChild} from '../lib/process.js';
import {type CaseResult, check} from '../lib/result.js';
import {startGuestDaemon} from '../peers/guest-daemon.js';

const mebibyte = 1024 * 1024;

/**
 * Case 6, memory: the monitor in scripted mode sends `agent_ping` to the guest daemon, fed in
 * batches through its stdin (never more than a batch queued, so the figure is not our own
 * backlog); both processes' resident memory is read at 10%, 55% and 100% of the calls.
 * The target is the growth after warm-up (55% → 100%, at most 1 MiB each): from 10% on, V8 is
 * still sizing its young generation, which is not a leak; that growth is shown as information.
 */
export async function memoryCase(options: BenchOptions): Promise<CaseResult> {
	const total = options.memoryCalls;
	const checkpoint = total / 10;
	const samples = await withCleanup(async defer => {
		const work = scratch('memory');
		defer(work.remove);
		const daemon = await startGuestDaemon(work.file('guest.sock'));
		defer(daemon.stop);
		daemon.host.close(); // The monitor is the host here.
		const monitor = startChild(process.execPath, [cliPath, 'monitor', '--connect', work.file('guest.sock')], {stdio: ['pipe', 'pipe', 'pipe']});
		defer(monitor.stop);
		const pinger = feed(monitor);
		const at = async (calls: number) => {
			await pinger.pingUntil(calls);
			return {calls, monitor: residentBytes(monitor.pid), guest: residentBytes(daemon.child.pid)};
		};

		return [await at(checkpoint), await at((checkpoint + total) / 2), await at(total)];
	});

	const [first, middle, last] = samples as [(typeof samples)[0], (typeof samples)[0], (typeof samples)[0]];
	const growth = (key: 'monitor' | 'guest') => (last[key] - first[key]) / mebibyte;
	const label = (calls: number) => `${calls / 1000}k`;
	return {
		id: 'memory',
		title: `6b. Resident memory over ${total.toLocaleString('en-US')} agent_ping calls (monitor scripted → guest daemon)`,
		figures: [],
		comparisons: [],
		checks: [
			check(`monitor RSS after ${label(first.calls)} calls`, first.monitor / mebibyte, 'MiB'),
			check(`monitor RSS after ${label(last.calls)} calls`, last.monitor / mebibyte, 'MiB'),
			check(`monitor growth ${label(first.calls)} → ${label(last.calls)}`, growth('monitor'), 'MiB'),
			check(`monitor growth after warm-up ${label(middle.calls)} → ${label(last.calls)}`, (last.monitor - middle.monitor) / mebibyte, 'MiB', {
				op: '<=',
				value: 1,
			}),
			check(`guest RSS after ${label(first.calls)} calls`, first.guest / mebibyte, 'MiB'),
			check(`guest RSS after ${label(last.calls)} calls`, last.guest / mebibyte, 'MiB'),
			check(`guest growth ${label(first.calls)} → ${label(last.calls)}`, growth('guest'), 'MiB'),
			check(`guest growth after warm-up ${label(middle.calls)} → ${label(last.calls)}`, (last.guest - middle.guest) / mebibyte, 'MiB', {op: '<=', value: 1}),
		],
		notes: [
			'one run, no rounds: memory is a level, not a rate; the target is the growth after warm-up (55% → 100% of the calls, ≤ 1 MiB); 10% → 100% is information (V8 sizing its young generation)',
			'resident memory, not live objects: node --expose-gc dist/bench/profile/heap-growth.js measures the JS heap after a full GC for the same workload',
		],
	};
}

/** Writes `agent_ping` lines to the monitor's stdin a batch at a time and counts its `ok`s. */
function feed(monitor: Child): {pingUntil(calls: number): Promise<void>} {
	const batch = 500;
	let sent = 0;
	let answered = 0;
	let partial = '';
	let failure: Error | undefined;
	let wake: (() => void) | undefined;
	monitor.process.stdout!.setEncoding('utf8');
	monitor.process.stdout!.on('data', (text: string) => {
		const lines = (partial + text).split('\n');
		partial = lines.pop()!;
		for (const line of lines) {
			if (line === 'ok') {
				answered++;
			} else if (line.trim() !== '') {
				failure ??= new Error(`monitor printed ${JSON.stringify(line.slice(0, 200))} instead of ok`);
			}
		}

		wake?.();
	});
	monitor.process.once('exit', code => {
		failure ??= new Error(`monitor exited (${code}): ${monitor.stderr().trim()}`);
		wake?.();
	});
	return {
		async pingUntil(calls) {
			while (answered < calls) {
				if (failure) {
					throw failure;
				}

				// Keep one batch in flight: enough to never starve it, never a backlog.
				if (sent - answered < batch && sent < calls) {
					const count = Math.min(batch, calls - sent);
					monitor.process.stdin!.write('agent_ping\n'.repeat(count));
					sent += count;
				}

				await new Promise<void>(resolve => {
					wake = resolve;
				});
			}
		},
	};
}
