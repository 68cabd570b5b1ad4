/**
 * The live region at every window size: whatever the session shows, the frame takes at most
 * the window's height minus one row, and no line is wider than the window (nothing wraps).
 * Rendered by Ink itself (renderToString at the window's width), measured as a terminal would.
 */
import fc from 'fast-check';
import {renderToString} from 'ink';
import {describe, expect, it} from 'vitest';
import type {EngineEvent, JobStatus} from '../../../src/engine/events.js';
import {initialQueueModel, type JobRow, type QueueModel} from '../../../src/monitor/queue-model.js';
import {foldEvents} from '../../../src/monitor/queue-tracker.js';
import type {ConnectionState, SessionStatus} from '../../../src/monitor/session-api.js';
import {LiveRegion, planFor} from '../../../src/monitor/ui/app.js';
import {emptyLine} from '../../../src/monitor/ui/line-editor.js';
import {displayWidth, fitFrame, frameBudget} from '../../../src/monitor/ui/live-terminal.js';
import type {ScreenSnapshot} from '../../../src/monitor/ui/screen-store.js';

const statuses: JobStatus[] = ['queued', 'sending', 'waiting', 'running', 'ready'];

function job(id: number, method: string, status: JobStatus): JobRow {
	return {id, side: 'client', method, tag: undefined, status, createdAt: 1000, updatedAt: 1500};
}

function model(clientJobs: number, serverJobs: number, transitions: number, method: string, done: number): QueueModel {
	const events: EngineEvent[] = Array.from({length: transitions}, (_, index) => ({
		type: 'state',
		side: 'client',
		from: 'IDLE',
		to: 'SEND',
		jobId: index,
		method,
		tag: undefined,
		at: 1_700_000_000_000 + index,
	}));
	const base = foldEvents(initialQueueModel(), events);
	const jobs = (count: number) => Array.from({length: count}, (_, index) => job(index + 1, method, statuses[index % statuses.length]!));
	const finished = job(99, method, 'failed');
	return {
		...base,
		clientState: clientJobs > 0 ? 'WAIT' : 'IDLE',
		client: {
			jobs: jobs(clientJobs),
			queued: Math.min(clientJobs, 5),
			limit: 5,
			done,
			failed: done,
			recent: done > 0 ? [{...finished, error: {code: -500, message: method}}] : [],
		},
		server: {jobs: jobs(serverJobs), queued: Math.min(serverJobs, 1), limit: 1, done, failed: 0, recent: done > 0 ? [finished] : []},
	};
}

const connections: ConnectionState[] = [
	{state: 'connected', since: 0},
	{state: 'connecting'},
	{state: 'listening'},
	{state: 'retrying', attempt: 12, inMs: 4000, reason: 'connect ENOENT /run/a/very/long/path/to/the/socket/of/the/guest.sock'},
	{state: 'disconnected', reason: 'read ECONNRESET'},
];

function frameOf(snapshot: ScreenSnapshot, text: string, notice?: string): string {
	const line = {...emptyLine(), text, cursor: text.length};
	return renderToString(<LiveRegion snapshot={snapshot} line={line} {...(notice === undefined ? {} : {notice})} />, {columns: snapshot.columns});
}

describe('the live region fits the window', () => {
	it('never takes more than the height minus one row, and nothing wraps at 40 columns or more', () => {
		fc.assert(
			fc.property(
				fc.record({
					columns: fc.integer({min: 40, max: 260}),
					rows: fc.integer({min: 2, max: 80}),
					clientJobs: fc.integer({min: 0, max: 12}),
					serverJobs: fc.integer({min: 0, max: 2}),
					transitions: fc.integer({min: 0, max: 60}),
					method: fc.constantFrom('va.ping', 'system.listMethods', 'va.\\u009b2Jevil\\u202e'.repeat(3), '漢字のメソッド'),
					done: fc.constantFrom(0, 7, 123_456),
					connection: fc.constantFrom(...connections),
					channel: fc.constantFrom('unix:/va.sock', `unix:/tmp/${'deep/'.repeat(30)}va.sock`),
					hint: fc.constantFrom(undefined, 'halt  powerdown  reboot', 'x'.repeat(300)),
					typed: fc.constantFrom('', 'agent_viewfile /etc/services', `agent_viewfile /${'long/'.repeat(80)}`),
					notice: fc.constantFrom(undefined, 'backlog: 12 waiting (at most 1000)'),
				}),
				input => {
					const status: SessionStatus = {
						channel: input.channel,
						connection: input.connection,
						guest: {helloAt: 1_700_000_000_000, version: '1.0', methods: ['va.ping']},
					};
					const snapshot: ScreenSnapshot = {
						status,
						model: model(input.clientJobs, input.serverJobs, input.transitions, input.method, input.done),
						columns: input.columns,
						rows: input.rows,
						hint: input.hint,
						now: 2000,
					};
					const frame = frameOf(snapshot, input.typed, input.notice);
					expect(frame.split('\n').length).toBe(planFor(snapshot, input.hint !== undefined, input.notice !== undefined).height);
					// As the terminal gets it: one row per line, within the budget.
					const {lines, height} = fitFrame(frame, input.columns, input.rows);
					expect(height).toBe(lines.length);
					// The layout fitted: the safety net dropped no line.
					expect(lines.length).toBe(frame.split('\n').length);
					expect(lines.length).toBeLessThanOrEqual(frameBudget(input.rows));
					for (const line of lines) {
						expect(displayWidth(line), JSON.stringify(line)).toBeLessThanOrEqual(input.columns);
					}

					// The prompt is always the last line (under the one-shot hint, when it has room).
					expect(lines.some(line => line.startsWith('(virtagent)'))).toBe(true);
				},
			),
			{numRuns: 100},
		);
		// Each run lays out and renders a whole frame with Ink: slow on a loaded machine.
	}, 120_000);

	it('keeps words whole: panel headers are never split (at 60 and 80 columns they used to wrap)', () => {
		for (const columns of [60, 70, 80]) {
			const snapshot: ScreenSnapshot = {
				status: {
					channel: 'unix:/tmp/va.sock',
					connection: {state: 'connected', since: 0},
					guest: {helloAt: 1_700_000_000_000, version: '1.0', methods: ['va.ping']},
				},
				model: model(3, 1, 20, 'va.getfile', 12),
				columns,
				rows: 40,
				hint: undefined,
				now: 2000,
			};
			const frame = frameOf(snapshot, '');
			expect(frame).toMatch(/client {1,2}WAIT {1,2}queue 3\/5 {1,2}done 12 failed 12/u);
			expect(frame).toMatch(/server {1,2}IDLE {1,2}queue 1\/1 {1,2}done 12 failed 0/u);
		}
	});

	it('side by side when wide, stacked when narrow, more log on a tall window, one status line on a tiny one', () => {
		const at = (columns: number, rows: number, jobs = 2) =>
			({
				status: {
					channel: 'unix:/tmp/va.sock',
					connection: {state: 'connected', since: 0},
					guest: {helloAt: 1_700_000_000_000, version: '1.0', methods: ['va.ping']},
				},
				model: model(jobs, 0, 60, 'va.ping', 3),
				columns,
				rows,
				hint: undefined,
				now: 2000,
			}) satisfies ScreenSnapshot;
		expect(planFor(at(200, 60), false).panels).toBe('side');
		expect(planFor(at(60, 20), false).panels).toBe('stacked');
		expect(planFor(at(200, 60), false).logLines).toBeGreaterThan(8);
		expect(planFor(at(80, 24), false).logLines).toBeLessThanOrEqual(8);
		const tiny = planFor(at(80, 4, 5), false);
		expect(tiny).toMatchObject({summary: true, panels: 'none', height: 2});
		expect(frameOf(at(80, 4, 5), '')).toMatch(/^● connected {2}client WAIT 5\/5 {2}server IDLE 0\/1\n\(virtagent\)/u);
		expect(planFor(at(80, 2, 5), false).height).toBe(1);
	});
});
