/**
 * `node dist/bench/profile/screen-frame.js [FRAMES] [COLUMNS] [ROWS]`: CPU per frame of the live
 * region, the screen's whole per-frame path (React, Ink's layout and output, the LiveTerminal's
 * draw) without the engine: each frame folds one more `va.ping` round trip into the model and
 * renders it, as bench case 5's workload does between two frames. CPU time, not wall time, so
 * that a loaded machine moves it less; `--cpu-prof` shows where it goes.
 */
import type {EngineEvent} from '../../src/engine/events.js';
import {initialQueueModel, type QueueModel} from '../../src/monitor/queue-model.js';
import {foldEvents} from '../../src/monitor/queue-tracker.js';
import type {SessionStatus} from '../../src/monitor/session-api.js';
import {emptyLine} from '../../src/monitor/ui/line-editor.js';
import {LiveTerminal, type TerminalStream} from '../../src/monitor/ui/live-terminal.js';
import type {ScreenSnapshot} from '../../src/monitor/ui/screen-store.js';

// React's production build, as bin/virtagent.js sets it: before React loads (so no JSX here,
// whose runtime import would load React's development build first).
process.env.NODE_ENV ??= 'production';
const {render} = await import('ink');
const {createElement} = await import('react');
const {LiveRegion} = await import('../../src/monitor/ui/app.js');
const frames = Number(process.argv[2] ?? 2000);
const columns = Number(process.argv[3] ?? 100);
const rows = Number(process.argv[4] ?? 30);

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
	channel: 'unix:/tmp/bench/guest.sock',
	connection: {state: 'connected'},
	guest: {helloAt: Date.now(), version: '1.0', methods: ['va.ping', 'va.hello', 'va.readfile', 'va.shutdown', 'va.info', 'va.log']},
} as unknown as SessionStatus;

let model: QueueModel = initialQueueModel();
let id = 1;
function snapshot(): ScreenSnapshot {
	// The last ping of the frame is still waiting, as in the closed loop.
	model = foldEvents(model, [...pingEvents(id, Date.now()), ...pingEvents(id + 1, Date.now()).slice(0, 5)]);
	id += 2;
	return {status, model, columns, rows, hint: undefined, now: Date.now()};
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

await renderFrames(Math.min(500, frames));
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
