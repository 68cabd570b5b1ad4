/**
 * `fleet-monitor-main.js DIR` forked with IPC: the monitor side of the fleet bench, in its own
 * process so that its memory is its own. It discovers DIR (empty at first) with the live screen
 * mounted on a counting terminal (120×40), says `baseline` with its RSS, then on `measure`
 * waits for every guest to be ready and measures: RSS, idle CPU, one ping to one guest, N
 * sequential pings' CPU (this process and the guests'), `@all agent_ping`, redraws.
 */
import {readFileSync} from 'node:fs';
import {EventEmitter} from 'node:events';
import {allCommands, fleetCommands} from '../../commands/index.js';
import {DiscoveryWatcher} from '../../src/monitor/fleet/discover.js';
import {Fleet} from '../../src/monitor/fleet/fleet.js';
import {FleetSession} from '../../src/monitor/fleet/fleet-session.js';
import {guestOpener} from '../../src/monitor/fleet/open-guest.js';
import {redrawMark} from '../../src/monitor/ui/live-terminal.js';
import {mountScreen} from '../../src/monitor/ui/start.js';
import {TypedInput} from '../lib/typed-input.js';

export type MeasureRequest = {
	readonly type: 'measure';
	readonly guests: number;
	readonly pids: readonly number[];
	readonly rounds: number;
	readonly idleMs: number;
};

export type FleetFigures = {
	readonly type: 'result';
	readonly guests: number;
	readonly readyMs: number;
	readonly rssBaseline: number;
	readonly rssReady: number;
	readonly idleMonitorCpuMs: number;
	readonly idleGuestCpuMs: number;
	readonly idleMs: number;
	readonly idleRedraws: number;
	/** One round each: ms. */
	readonly onePingMs: readonly number[];
	readonly sequentialCpuMs: readonly number[];
	readonly sequentialWallMs: readonly number[];
	readonly allPingMs: readonly number[];
	readonly fanOutRedrawsPerSecond: readonly number[];
	readonly failures: readonly string[];
};

/** A terminal that only counts the live region's redraws. */
class CountingTerminal extends EventEmitter {
	readonly isTTY = true;
	readonly columns = 120;
	readonly rows = 40;
	redraws = 0;
	write(text: string): boolean {
		this.redraws += text.split(redrawMark).length - 1;
		return true;
	}
}

const ticksPerSecond = 100;

/** User + system CPU of other processes, in ms (Linux /proc, clock ticks). */
function processCpuMs(pids: readonly number[]): number {
	let ticks = 0;
	for (const pid of pids) {
		const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
		ticks += Number(fields[11]) + Number(fields[12]);
	}

	return (ticks * 1000) / ticksPerSecond;
}

function ownCpuMs(): number {
	const {user, system} = process.cpuUsage();
	return (user + system) / 1000;
}

const dir = process.argv[2]!;
const fleet = new Fleet(guestOpener({commands: allCommands, timeoutMs: 60_000, waitForGuest: false}));
const session = new FleetSession(fleet, {commands: allCommands, fleetCommands, streamParts: true});
const watcher = new DiscoveryWatcher(fleet, dir, message => process.stderr.write(`${message}\n`));
await watcher.start();
const terminal = new CountingTerminal();
const screen = mountScreen(session, {stdin: new TypedInput() as unknown as NodeJS.ReadStream, stdout: terminal, patchConsole: false});
await new Promise(resolve => setTimeout(resolve, 500));
process.send!({type: 'baseline', rss: process.memoryUsage.rss()});

const ready = () => session.rows().filter(row => row.readySince !== undefined).length;

async function run(line: string): Promise<number> {
	const started = performance.now();
	const outcome = await session.execute(line);
	if (!outcome.ok) {
		throw new Error(`${line}: ${outcome.fanOut?.summary ?? outcome.text}`);
	}

	return performance.now() - started;
}

process.on('message', (request: MeasureRequest) => {
	void measure(request).then(
		figures => process.send!(figures),
		(error: unknown) => process.send!({type: 'failed', message: (error as Error).stack ?? String(error)}),
	);
});

async function measure(request: MeasureRequest): Promise<FleetFigures> {
	const started = performance.now();
	while (ready() < request.guests) {
		if (performance.now() - started > 300_000) {
			throw new Error(`${ready()} of ${request.guests} guests ready after 300 s`);
		}

		await new Promise(resolve => setTimeout(resolve, 50));
	}

	const readyMs = performance.now() - started;
	// Let the negotiation storm settle before anything is measured.
	await new Promise(resolve => setTimeout(resolve, 1000));
	const rssReady = process.memoryUsage.rss();
	const idleStart = {own: ownCpuMs(), guests: processCpuMs(request.pids), redraws: terminal.redraws};
	await new Promise(resolve => setTimeout(resolve, request.idleMs));
	const idle = {own: ownCpuMs() - idleStart.own, guests: processCpuMs(request.pids) - idleStart.guests, redraws: terminal.redraws - idleStart.redraws};
	const names = fleet.guests.map(guest => guest.name);
	const figures = {
		onePingMs: [] as number[],
		sequentialCpuMs: [] as number[],
		sequentialWallMs: [] as number[],
		allPingMs: [] as number[],
		fanOutRedrawsPerSecond: [] as number[],
	};
	for (let round = 0; round < request.rounds + 1; round++) {
		const one = await run(`@${names[0]!} agent_ping`);
		// N pings one after the other, one per guest: their CPU, here and in the guests.
		const cpuBefore = ownCpuMs() + processCpuMs(request.pids);
		const wallBefore = performance.now();
		for (const name of names) {
			await run(`@${name} agent_ping`);
		}

		const sequentialWall = performance.now() - wallBefore;
		const sequentialCpu = ownCpuMs() + processCpuMs(request.pids) - cpuBefore;
		const redrawsBefore = terminal.redraws;
		const all = await run('@all agent_ping');
		// Round 0 warms up.
		if (round > 0) {
			figures.onePingMs.push(one);
			figures.sequentialCpuMs.push(sequentialCpu);
			figures.sequentialWallMs.push(sequentialWall);
			figures.allPingMs.push(all);
			figures.fanOutRedrawsPerSecond.push(((terminal.redraws - redrawsBefore) * 1000) / all);
		}
	}

	return {
		type: 'result',
		guests: fleet.size,
		readyMs,
		rssBaseline: 0,
		rssReady,
		idleMonitorCpuMs: idle.own,
		idleGuestCpuMs: idle.guests,
		idleMs: request.idleMs,
		idleRedraws: idle.redraws,
		...figures,
		failures: session
			.rows()
			.filter(row => row.failures > 0)
			.map(row => row.name),
	};
}

process.on('disconnect', () => {
	screen.instance.unmount();
	void session.close().then(() => process.exit(0));
});
