import {randomBytes} from 'node:crypto';
import {closeSync, openSync, writeSync} from 'node:fs';
import {allCommands} from '../../commands/index.js';
import {virtagentSource, type ChunkSource} from '../../src/monitor/getfile/chunk-source.js';
import {copyGuestFile} from '../../src/monitor/getfile/copy-file.js';
import {openSession} from '../../src/monitor/open-session.js';
import {elapsedMs} from '../lib/clock.js';
import {type BenchOptions, scratch, withCleanup} from '../lib/context.js';
import {type CaseResult, type Check, type Comparison, check, compare, present} from '../lib/result.js';
import {type Contender, interleave, pairedContenders} from '../lib/rounds.js';
import {guestDaemonAvailable, startGuestDaemon} from '../peers/guest-daemon.js';
import {findQemuGa, readCountMax, readFileThroughQemuGa, startQemuGa} from '../peers/qemu-ga.js';

const mebibyte = 1024 * 1024;
/** va.readfile's largest count, and the chunk the qga path is compared at. */
const chunkSize = mebibyte;

/**
 * Case 7 (issue #12): the monitor's qemu-ga path (a session running agent_ping and agent_getfile,
 * --protocol qga) against a bare qemu-ga client, and
 * agent_getfile's copier (the monitor's code, in this process) over both protocols against
 * qemu-ga's own best chunked read of the same file, all in the same rounds. Two qemu-ga
 * processes, because one serves only one client at a time: the bare client holds one, the
 * monitor the other. RSS is this process's (the copier's) during a copy: it must stay flat.
 */
export async function qgaCase(options: BenchOptions): Promise<CaseResult> {
	const notes: string[] = [];
	const fileBytes = (options.quick ? 20 : 100) * mebibyte;
	const label = `${fileBytes / mebibyte} MiB`;
	const checks: Check[] = [];
	const figures = await withCleanup(async defer => {
		const work = scratch('qga');
		defer(work.remove);
		const binary = findQemuGa();
		if (!binary || !guestDaemonAvailable()) {
			notes.push('needs qemu-ga (apt-get install qemu-guest-agent) and the built guest daemon: case skipped');
			return [];
		}

		const bare = await startQemuGa(binary, work.file(''));
		defer(bare.stop);
		const secondDir = scratch('qga-engine');
		defer(secondDir.remove);
		const forEngine = await startQemuGa(binary, secondDir.dir);
		defer(forEngine.stop);
		// The bare client stays connected to the other instance; the monitor connects to its own.
		forEngine.client.close();
		// The monitor itself (the session, its commands, the qga wire protocol), as the operator runs it.
		const monitor = await openSession({
			commands: allCommands,
			target: {mode: 'connect', endpoint: {kind: 'unix', path: `${secondDir.dir}/qga.sock`}},
			protocol: 'qga',
			timeoutMs: 60_000,
			waitForGuest: true,
		});
		defer(async () => monitor.close());
		await monitor.waitForGuest(10_000);
		const daemon = await startGuestDaemon(work.file('guest.sock'));
		defer(daemon.stop);
		notes.push(`qemu-ga ${bare.version} (two instances, same block list); file ${label} of random bytes; chunks of ${chunkSize / mebibyte} MiB`);

		const file = work.file('big.bin');
		writeRandomFile(file, fileBytes);
		const monitorRun = async (line: string) => {
			const outcome = await monitor.execute(line);
			if (!outcome.ok) {
				throw new Error(`${line}: ${outcome.text}`);
			}
		};
		const readfile = async (offset: number, count: number) => daemon.host.call('va.readfile', [file, offset, count], {timeoutMs: 60_000});
		const copy = async (source: ChunkSource, onProgress?: (bytes: number) => void) =>
			copyGuestFile({
				source,
				target: work.file('copy.bin'),
				force: true,
				chunkSize,
				progressEveryMs: 0,
				onProgress: onProgress && (progress => onProgress(progress.bytes)),
			});
		const mibPerSecond = async (work_: () => Promise<unknown>) => fileBytes / mebibyte / ((await elapsedMs(work_)) / 1000);

		// One copy each before RSS is judged: growth after warm-up is what a leak shows (the first
		// copy also meets whatever garbage the set-up left for the collector).
		await copy(virtagentSource(readfile, 2));
		await monitorRun(`agent_getfile ${file} ${work.file('copy-qga.bin')} -f`);
		checks.push(
			await copyRss('RSS growth from 1st to 2nd half of the virtagent copy', async onProgress => copy(virtagentSource(readfile, 2), onProgress), fileBytes),
			await sampledRss(
				"RSS growth from 1st to 2nd half of the monitor's agent_getfile via qemu-ga",
				async () => monitorRun(`agent_getfile ${file} ${work.file('copy-qga.bin')} -f`),
				fileBytes,
			),
		);
		// Taken in turns, call by call: the ratio is the shell's overhead, not which of two
		// moments a round apart met more load. Every round of the bench: a round is a few tenths
		// of a second, and the median of three swung by ±0.1 from run to run.
		const pings = pairedContenders(
			options.calls,
			{name: 'qga ping: monitor (agent_ping)', call: async () => monitorRun('agent_ping')},
			{name: 'qga ping: bare qemu-ga client', call: async () => bare.client.execute('guest-ping')},
		);
		const pingFigures = await interleave(pings, {rounds: options.rounds, warmup: 1});
		const copies: Contender[] = [
			{
				name: `${label}: agent_getfile via virtagent (va.readfile)`,
				unit: 'MiB/s',
				run: async () => mibPerSecond(async () => copy(virtagentSource(readfile, 2))),
			},
			{
				name: `${label}: agent_getfile via qemu-ga`,
				unit: 'MiB/s',
				run: async () => mibPerSecond(async () => monitorRun(`agent_getfile ${file} ${work.file('copy-qga.bin')} -f`)),
			},
			{
				name: `${label}: qemu-ga chunked read, count = 1 MiB`,
				unit: 'MiB/s',
				run: async () => mibPerSecond(async () => readFileThroughQemuGa(bare.client, file, chunkSize)),
			},
			{
				name: `${label}: qemu-ga chunked read, largest count`,
				unit: 'MiB/s',
				run: async () => mibPerSecond(async () => readFileThroughQemuGa(bare.client, file, Math.min(fileBytes + 1, readCountMax))),
			},
		];
		// Big copies: fewer rounds than the pings get; still interleaved.
		return [...pingFigures, ...(await interleave(copies, {rounds: Math.min(options.rounds, options.quick ? 2 : 3), warmup: 1}))];
	});

	const best = bestOf(figures, [`${label}: qemu-ga chunked read, count = 1 MiB`, `${label}: qemu-ga chunked read, largest count`]);
	const comparisons: Array<Comparison | undefined> = [
		compare(figures, 'qga ping: monitor / bare client', 'qga ping: monitor (agent_ping)', 'qga ping: bare qemu-ga client', {op: '>=', value: 0.9}),
		best
			? compare(figures, `${label}: virtagent getfile / qemu-ga best`, `${label}: agent_getfile via virtagent (va.readfile)`, best, {op: '>=', value: 1.5})
			: undefined,
		compare(figures, `${label}: qga getfile / qemu-ga same chunk`, `${label}: agent_getfile via qemu-ga`, `${label}: qemu-ga chunked read, count = 1 MiB`, {
			op: '>=',
			value: 0.9,
		}),
	];
	return {
		id: 'qga',
		title: "7. qemu-ga: the monitor's qga path and agent_getfile against qemu-ga's own best",
		figures,
		comparisons: present(comparisons),
		checks,
		notes,
	};
}

/** Random bytes written a mebibyte at a time: a 100 MiB buffer left to the collector would land in one half of a copy's RSS. */
function writeRandomFile(file: string, bytes: number): void {
	const fd = openSync(file, 'w');
	try {
		for (let written = 0; written < bytes; written += mebibyte) {
			writeSync(fd, randomBytes(Math.min(mebibyte, bytes - written)));
		}
	} finally {
		closeSync(fd);
	}
}

/** The same flat-RSS check for a copy that reports no bytes: RSS sampled every 20 ms, halves by time. */
async function sampledRss(name: string, work: () => Promise<unknown>, fileBytes: number): Promise<Check> {
	const samples: Array<{at: number; rss: number}> = [];
	const timer = setInterval(() => samples.push({at: performance.now(), rss: process.memoryUsage().rss}), 20);
	const started = performance.now();
	try {
		await work();
	} finally {
		clearInterval(timer);
	}

	const middle = (started + performance.now()) / 2;
	const peak = (half: typeof samples) => Math.max(0, ...half.map(sample => sample.rss));
	const growth = peak(samples.filter(sample => sample.at >= middle)) - peak(samples.filter(sample => sample.at < middle));
	return check(name, growth / mebibyte, 'MiB', {op: '<=', value: fileBytes / mebibyte / 8});
}

function bestOf(figures: ReadonlyArray<{name: string; median: number}>, names: readonly string[]): string | undefined {
	return figures.filter(figure => names.includes(figure.name)).sort((a, b) => b.median - a.median)[0]?.name;
}

/**
 * Flat RSS: the peak in the second half of the copy minus the peak in the first half, in MiB.
 * A copier that kept the file would grow by half the file between the two; one that keeps a
 * few chunks does not grow at all once warm.
 */
async function copyRss(name: string, work: (onProgress: (bytes: number) => void) => Promise<unknown>, fileBytes: number): Promise<Check> {
	const peaks = [0, 0];
	await work(bytes => {
		const half = bytes < fileBytes / 2 ? 0 : 1;
		peaks[half] = Math.max(peaks[half]!, process.memoryUsage().rss);
	});
	return check(name, (peaks[1]! - peaks[0]!) / mebibyte, 'MiB', {op: '<=', value: fileBytes / mebibyte / 8});
}
