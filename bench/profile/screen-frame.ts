/**
 * `node dist/bench/profile/screen-frame.js [FRAMES] [COLUMNS] [ROWS] [--allocations]`:
 * CPU per frame of the live region, the screen's whole per-frame path (React, Ink's layout and
 * output, the LiveTerminal's draw) without the engine: each frame folds one more `va.ping` round
 * trip into the model and renders it, as bench case 5's workload does between two frames. CPU
 * time, not wall time, so that a loaded machine moves it less; `--cpu-prof` shows where it goes.
 * `--allocations` gives the bytes a frame allocates, by function (the collector's work after it;
 * unlike the CPU time, the load does not move it).
 */
import type {EngineEvent} from '../../src/engine/events.js';
import {printAllocationsPerCall} from '../lib/allocation-sites.js';
import {initialQueueModel, type QueueModel} from '../../src/monitor/queue-model.js';
import {foldEvents} from '../../src/monitor/queue-tracker.js';
import type {SessionStatus} from '../../src/monitor/session-api.js';
import {emptyLine} from '../../src/monitor/ui/line-editor.js';
import {LiveTerminal, type TerminalStream} from '../../src/monitor/ui/live-terminal.js';
import type {ScreenSnapshot} from '../../src/monitor/ui/screen-store.js';

const numbers = process.argv.slice(2).filter(argument => !argument.startsWith('--'));
const frames = Number(numbers[0] ?? 2000);
const columns = Number(numbers[1] ?? 100);
const rows = Number(numbers[2] ?? 30);
/** Frames before the measured ones: the JIT warm, the same number in every run. */
const warmup = 300;
// Colours on, as bench case 5 runs the screen (FORCE_COLOR=1): chalk reads it when it loads.
process.env.FORCE_COLOR ??= '1';
// React's production build, as bin/virtagent.js sets it: before React loads (so no JSX here,
// whose runtime import would load React's development build first).
process.env.NODE_ENV ??= 'production';
const {render} = await import('ink');
const {createElement} = await import('react');
const {LiveRegion} = await import('../../src/monitor/ui/app.js');

let bytes = 0;
const terminal: TerminalStream = {
	columns,
	rows,
	write(text: string) {
		bytes += text.length;
		return true;
	},
	on: () => undefined,
	off: () => undefined,
};

/** One `va.ping` round trip as the engine reports it: the client's states and the job's moves. */
function pingEvents(id: number, at: number): EngineEvent[] {
	const job = {type: 'job', side: 'client', jobId: id, method: 'va.ping', tag: `a1b2c3.${id}`, at, limit: 5} as const;
	const state = {type: 'state', side: 'client', jobId: id, method: 'va.ping', tag: `a1b2c3.${id}`, at} as const;
	return [
		{...job, from: null, to: 'queued', queued: 1},
		{...state, from: 'IDLE', to: 'SEND'},
		{...job, from: 'queued', to: 'sending', queued: 1},
		{...job, from: 'sending', to: 'waiting', queued: 1},
		{...state, from: 'SEND', to: 'WAIT'},
		{...job, from: 'waiting', to: 'done', queued: 0},
		{...state, from: 'WAIT', to: 'IDLE'},
	];
}

const status: SessionStatus = {
	// As long as the bench's scratch socket path: the status takes two lines, as there.
	channel: 'unix:/tmp/virtagent-bench-screen-Ab12Cd/guest.sock',
	connection: {state: 'connected'},
	guest: {helloAt: Date.now(), version: '1.0', methods: ['va.ping', 'va.hello', 'va.readfile', 'va.shutdown', 'va.info', 'va.log']},
} as unknown as SessionStatus;

let model: QueueModel = initialQueueModel();
let id = 1;
function snapshot(): ScreenSnapshot {
	// One job at a time, as in the closed loop: the previous frame's waiting ping is answered, one
	// more runs, and the last of the frame is still waiting.
	const at = Date.now();
	model = foldEvents(model, [...(id > 1 ? pingEvents(id - 1, at).slice(5) : []), ...pingEvents(id, at), ...pingEvents(id + 1, at).slice(0, 5)]);
	id += 2;
	return {status, model, columns, rows, hint: undefined, now: at};
}

const live = new LiveTerminal(terminal);
const line = emptyLine([]);
const region = () => createElement(LiveRegion, {snapshot: snapshot(), line});
const instance = render(region(), {stdout: live.frameSink, debug: true, exitOnCtrlC: false, patchConsole: false});

async function renderFrames(count: number): Promise<void> {
	for (let i = 0; i < count; i++) {
		instance.rerender(region());
		// React may commit on a microtask: let it, as a frame clock's tick would.
		await new Promise(resolve => setImmediate(resolve));
	}
}

await renderFrames(warmup);
if (process.argv.includes('--allocations')) {
	await printAllocationsPerCall(
		frames,
		async () => renderFrames(1),
		perFrame => `${columns}x${rows}: ~${perFrame} bytes allocated per frame (sampled; ${frames} after ${warmup}), by function:`,
	);
	instance.unmount();
	process.exit(0);
}

const drawsBefore = live.draws;
const bytesBefore = bytes;
const before = process.cpuUsage();
await renderFrames(frames);
const used = process.cpuUsage(before);
const draws = live.draws - drawsBefore;
instance.unmount();
console.log(
	`${columns}x${rows}: ${((used.user + used.system) / draws).toFixed(0)} µs CPU per frame (${draws} frames, ${Math.round((bytes - bytesBefore) / draws)} bytes each)`,
);
