import chalk from 'chalk';
import {render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import type {EngineEvent} from '../../../src/engine/events.js';
import {initialQueueModel} from '../../../src/monitor/queue-model.js';
import {foldEvents} from '../../../src/monitor/queue-tracker.js';
import type {SessionStatus} from '../../../src/monitor/session-api.js';
import QueuePanel from '../../../src/monitor/ui/QueuePanel.js';
import {liveLog} from '../../../src/monitor/ui/screen-model.js';
import StatusLine from '../../../src/monitor/ui/StatusLine.js';
import TransitionLog from '../../../src/monitor/ui/TransitionLog.js';
import {waitFor} from '../../helpers/socket-pair.js';
import {pairedSession, type PairedSession} from './helpers/paired-session.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0)) {
		await cleanup();
	}
});

/** A boxed panel 100 columns wide with room for every job. */
const panelLayout = {width: 100, boxed: true, padding: 1, jobRows: 8, showLast: true} as const;

async function recorded(): Promise<{session: PairedSession; events: EngineEvent[]}> {
	const session = await pairedSession();
	cleanups.push(async () => session.close());
	const events: EngineEvent[] = [];
	session.host.subscribe(event => events.push(event));
	return {session, events};
}

/** Colour codes on, whatever the test runner's stdout is (Ink colours through chalk). */
function withColour(): void {
	const level = chalk.level;
	chalk.level = 1;
	cleanups.push(() => {
		chalk.level = level;
	});
}

describe('QueuePanel over a real engine', () => {
	it('shows the state, every job with its status and age, and the count against the limit', async () => {
		withColour();
		const {session, events} = await recorded();
		session.hold();
		const calls = [0, 1, 2].map(async () => session.host.call('test.hold', [], {timeoutMs: 10_000}));
		cleanups.push(async () => Promise.allSettled(calls).then(() => undefined));
		await waitFor(() => session.host.clientState === 'WAIT' && session.host.clientJobCount === 3, 5000, 'three jobs');
		const model = foldEvents(initialQueueModel(), events);
		const {lastFrame} = render(<QueuePanel side="client" state={model.clientState} queue={model.client} now={Date.now() + 1500} {...panelLayout} />);
		const frame = lastFrame()!;
		expect(frame).toMatch(/\u001B\[36mWAIT/u);
		expect(frame).toContain('queue 3/5');
		const rows = frame.split('\n').filter(line => line.includes('test.hold'));
		expect(rows).toHaveLength(3);
		expect(rows[0]).toMatch(/waiting.*1\.\ds/u);
		expect(rows[1]).toMatch(/queued.*1\.\ds/u);

		session.release();
		await Promise.all(calls);
		const after = foldEvents(initialQueueModel(), events);
		const idle = render(<QueuePanel side="client" state={after.clientState} queue={after.client} now={Date.now()} {...panelLayout} />).lastFrame()!;
		expect(idle).toContain('IDLE');
		expect(idle).toContain('queue 0/5');
		expect(idle).toContain('done 3 failed 0');
		expect(idle).toMatch(/last: #\d+ test\.hold done in/u);
	});

	it('shows a failed job in red with its error', async () => {
		withColour();
		const {session, events} = await recorded();
		await expect(session.host.call('va.shutdown', ['sideways'])).rejects.toThrow('invalid shutdown type');
		const model = foldEvents(initialQueueModel(), events);
		const frame = render(<QueuePanel side="client" state={model.clientState} queue={model.client} now={Date.now()} {...panelLayout} />).lastFrame()!;
		expect(frame).toContain('\u001B[31mlast: #');
		expect(frame).toContain('failed 1');
		expect(frame).toContain('-501 invalid shutdown type: sideways');
	});

	it('escapes a hostile method name from the guest in the server panel and the log', async () => {
		const {session, events} = await recorded();
		const hostile = '\u009B2J\u202Eevil\tname';
		await expect(session.guestCalls(hostile)).rejects.toThrow('not defined');
		const model = foldEvents(initialQueueModel(), events);
		const panel = render(<QueuePanel side="server" state={model.serverState} queue={model.server} now={Date.now()} {...panelLayout} />).lastFrame()!;
		const log = render(<TransitionLog entries={liveLog(model)} />).lastFrame()!;
		for (const frame of [panel, log]) {
			expect(frame).not.toMatch(/[\u009B\u202E\t]/u);
			expect(frame).toContain('\\u009b2J\\u202eevil');
		}
	});
});

describe('TransitionLog', () => {
	it('shows the latest state changes, timestamped, without the job moves the panels already show', async () => {
		const {session, events} = await recorded();
		for (let index = 0; index < 4; index++) {
			await session.host.call('va.ping');
		}

		const model = foldEvents(initialQueueModel(), events);
		const lines = render(<TransitionLog entries={liveLog(model)} />)
			.lastFrame()!
			.split('\n');
		const entries = lines.filter(line => /^\d\d:\d\d:\d\d\.\d{3} /u.test(line));
		expect(entries).toHaveLength(8);
		expect(entries.at(-1)).toMatch(/client WAIT→IDLE #\d+ va\.ping$/u);
		expect(entries.some(line => /client IDLE→SEND #\d+ va\.ping$/u.test(line))).toBe(true);
		expect(entries.every(line => !line.includes('queued'))).toBe(true);
	});
});

describe('StatusLine', () => {
	it('says the channel, the connection and what the guest said', () => {
		const at = new Date(2026, 0, 2, 3, 4, 5).getTime();
		const status: SessionStatus = {
			channel: 'unix:/va',
			connection: {state: 'connected', since: at},
			guest: {helloAt: at, version: '1.0', methods: ['va.ping', 'va.getfile']},
		};
		expect(render(<StatusLine status={status} lines={1} />).lastFrame()).toBe('unix:/va  ● connected  guest said hello at 03:04:05, version 1.0, 2 methods');
		const retrying: SessionStatus = {
			...status,
			connection: {state: 'retrying', attempt: 3, inMs: 2000, reason: 'no\u001B[31m'},
			guest: {helloAt: undefined, version: undefined, methods: undefined},
		};
		expect(render(<StatusLine status={retrying} lines={1} />).lastFrame()).toBe('unix:/va  ○ retrying in 2.0s (attempt 3): no\\x1b[31m');
	});

	it('shows no old hello once the channel is down, and escapes the version the guest sent', () => {
		const at = new Date(2026, 0, 2, 3, 4, 5).getTime();
		const guest = {helloAt: at, version: '1.0\u001B]0;owned\u0007\u202E', methods: ['va.ping']};
		const down: SessionStatus = {channel: 'unix:/va', connection: {state: 'disconnected', reason: 'read ECONNRESET'}, guest};
		expect(render(<StatusLine status={down} lines={1} />).lastFrame()).toBe('unix:/va  ✕ disconnected: read ECONNRESET');
		const up = render(<StatusLine status={{...down, connection: {state: 'connected', since: at}}} lines={2} />).lastFrame()!;
		expect(up).toBe('unix:/va  ● connected\nguest said hello at 03:04:05, version 1.0\\x1b]0;owned\\x07\\u202e, 1 method');
	});
});
