/**
 * The screen in real terminals of the sizes operators have (tmux, the built CLI, a real guest
 * daemon whose dmesg is slow): the scrollback is never erased, the live region keeps to the
 * window's height minus one row, no line wraps, a resize leaves no fragments. Set
 * VA_SCREEN_CAPTURES=DIR to keep the captured panes.
 */
import {statSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {tempDir, waitFor} from '../../helpers/socket-pair.js';
import {binPath, repoRoot, startCli} from '../helpers/cli.js';
import {keepCapture, promptLine, startPane, terminalSuite, type Pane} from './helpers/tmux.js';

const cleanups = terminalSuite();

/** A guest daemon on a UNIX socket whose dmesg takes `dmesgSeconds`. */
async function slowGuest(dmesgSeconds = 2): Promise<string> {
	const {dir, remove} = tempDir('va-screen-');
	cleanups.push(remove);
	const socket = path.join(dir, 'guest.sock');
	const guest = startCli(['guest', '--channel', 'unix-listen', '--path', socket, '--dmesg-command', `sh -c 'sleep ${dmesgSeconds}; echo kernel: slow hello'`]);
	cleanups.push(async () => guest.stop());
	await waitFor(() => statSync(socket, {throwIfNoEntry: false})?.isSocket() === true, 10_000, 'the guest listening');
	return socket;
}

function monitorPane(args: string, size: {columns: number; rows: number}, env: Record<string, string> = {}): Pane {
	const {dir: home, remove} = tempDir('va-screen-home-');
	cleanups.push(remove);
	const pane = startPane(`node ${binPath} ${args}; echo "monitor exited: $?"; sleep 30`, {HOME: home, NO_COLOR: '1', ...env}, repoRoot, size);
	cleanups.push(() => {
		pane.kill();
	});
	return pane;
}

const isReady = (text: string) => /said hello at .*, \d+ methods/u.test(text) && promptLine(text) === '(virtagent)';

/** The live region on the screen: from the status line down to the prompt. */
function liveRegion(screen: string): string[] {
	const lines = screen.trimEnd().split('\n');
	const top = lines.findLastIndex(line => /^unix:\S+ {2}[●○✕]/u.test(line));
	return lines.slice(top);
}

const count = (screen: string, pattern: RegExp) => screen.split('\n').filter(line => pattern.test(line)).length;

/** Poll `check` until `done`, failing at once if the scrollback shrinks meanwhile. */
async function watchingHistory(pane: Pane, floor: number, done: (screen: string) => boolean, what: string): Promise<string> {
	let lowest = Number.POSITIVE_INFINITY;
	const screen = await pane.until(
		text => {
			lowest = Math.min(lowest, pane.historySize());
			expect(lowest, 'the scrollback was erased').toBeGreaterThanOrEqual(floor);
			return done(text);
		},
		what,
		20_000,
		true,
	);
	return screen;
}

describe('the screen at the sizes operators have', () => {
	it('80×24: a file, then a pasted burst behind a slow dmesg, erases no scrollback and never wraps', async () => {
		const socket = await slowGuest(3);
		const pane = monitorPane(`monitor --connect ${socket}`, {columns: 80, rows: 24});
		await pane.until(isReady, 'the status line and the prompt');
		pane.type('agent_viewfile /etc/services', true);
		await pane.until(() => pane.historySize() > 100, 'the file in the scrollback');
		await pane.until(text => promptLine(text) === '(virtagent)' && /client\s+IDLE/u.test(text), 'idle again');
		const before = pane.historySize();
		keepCapture('80x24-before-burst', pane.screen());

		pane.type('agent_viewdmesg\ragent_ping\ragent_ping\ragent_ping\ragent_ping\r');
		const full = await watchingHistory(pane, before, text => /queue 5\/5/u.test(text), 'five jobs queued behind the dmesg');
		keepCapture('80x24-during-burst', pane.screen());
		expect(liveRegion(full).length).toBeLessThanOrEqual(23);
		expect(pane.wrappedRows()).toBe(0);

		await watchingHistory(
			pane,
			before,
			text => text.includes('kernel: slow hello') && count(text, /^ok$/u) === 4 && /client\s+IDLE/u.test(text),
			'the dmesg and four oks',
		);
		const after = pane.screen();
		keepCapture('80x24-after-burst', after);
		expect(pane.historySize()).toBeGreaterThanOrEqual(before);
		expect(liveRegion(after).length).toBeLessThanOrEqual(23);
		expect(pane.wrappedRows()).toBe(0);
		expect(count(after, /● connected/u)).toBe(1);
		// No old frame was pushed into the scrollback either (tmux keeps a screen erased from its top row).
		expect(count(pane.history(), /said hello at/u)).toBe(1);
	});

	it('100×17: the live region stays under the window with no job queued and with a full queue', async () => {
		const socket = await slowGuest(2);
		const pane = monitorPane(`monitor --connect ${socket}`, {columns: 100, rows: 17});
		let screen = await pane.until(isReady, 'the status line and the prompt');
		expect(liveRegion(screen).length).toBeLessThanOrEqual(16);
		pane.type('agent_viewfile /etc/services', true);
		await pane.until(() => pane.historySize() > 100, 'the file in the scrollback');
		const before = pane.historySize();
		pane.type('agent_viewdmesg\ragent_ping\ragent_ping\ragent_ping\ragent_ping\r');
		screen = await watchingHistory(pane, before, text => /queue 5\/5/u.test(text), 'a full queue');
		expect(liveRegion(screen).length).toBeLessThanOrEqual(16);
		expect(pane.wrappedRows()).toBe(0);
		screen = await watchingHistory(pane, before, text => count(text, /^ok$/u) === 4 && /client\s+IDLE/u.test(text), 'four oks');
		expect(liveRegion(screen).length).toBeLessThanOrEqual(16);
		expect(count(pane.history(), /said hello at/u)).toBe(1);
		keepCapture('100x17-after-burst', screen);
	});

	it('60×20: the panels stacked, every word whole, nothing wrapped', async () => {
		const socket = await slowGuest(1);
		const pane = monitorPane(`monitor --connect ${socket}`, {columns: 60, rows: 20});
		await pane.until(isReady, 'the status line and the prompt');
		pane.type('agent_ping', true);
		const screen = await pane.until(text => count(text, /^ok$/u) === 1 && /client\s+IDLE\s+queue 0\/5\s+done [1-9]/u.test(text), 'ok');
		keepCapture('60x20', screen);
		expect(screen).toMatch(/^│ ?client {1,2}IDLE {1,2}queue 0\/5 {1,2}done \d+ failed 0/mu);
		expect(screen).toMatch(/^│ ?server {1,2}IDLE {1,2}queue 0\/1 {1,2}done \d+ failed 0/mu);
		expect(screen).not.toMatch(/clien\s*$/mu);
		expect(pane.wrappedRows()).toBe(0);
		expect(liveRegion(screen).length).toBeLessThanOrEqual(19);
	});

	it('200×60: side by side, and more of the transition log than the 8 lines a small window shows', async () => {
		const socket = await slowGuest(1);
		const pane = monitorPane(`monitor --connect ${socket}`, {columns: 200, rows: 60});
		await pane.until(isReady, 'the status line and the prompt');
		pane.type('agent_ping\ragent_ping\ragent_ping\ragent_ping\r');
		// The prompt is the frame's last line: with it on screen, tmux has the whole frame, not its top half.
		const screen = await pane.until(text => count(text, /^ok$/u) === 4 && /client\s+IDLE/u.test(text) && promptLine(text) === '(virtagent)', 'four oks');
		keepCapture('200x60', screen);
		expect(screen).toMatch(/client {2}IDLE {2}queue 0\/5 .*server {2}IDLE {2}queue 0\/1/u);
		expect(count(screen, /^\d\d:\d\d:\d\d\.\d{3} /u)).toBeGreaterThan(8);
		expect(pane.wrappedRows()).toBe(0);
	});

	it('a resize lays the screen out again with no fragment of the old frame on it', async () => {
		const socket = await slowGuest(1);
		const pane = monitorPane(`monitor --connect ${socket}`, {columns: 120, rows: 40});
		await pane.until(isReady, 'the status line and the prompt');
		pane.type('agent_ping', true);
		await pane.until(text => count(text, /^ok$/u) === 1, 'ok');
		const sane = (text: string, boxTops: number) =>
			count(text, /● connected/u) === 1 && count(text, /╭/u) === boxTops && count(text, /╰/u) === boxTops && promptLine(text) === '(virtagent)';

		pane.resize(60, 20);
		let screen = await pane.until(text => sane(text, 2), 'one stacked screen at 60×20');
		keepCapture('resized-60x20', screen);
		expect(pane.wrappedRows()).toBe(0);

		pane.resize(200, 30);
		screen = await pane.until(text => sane(text, 1), 'one side-by-side screen at 200×30');
		expect(pane.wrappedRows()).toBe(0);

		pane.resize(80, 24);
		screen = await pane.until(text => sane(text, 1) || sane(text, 2), 'one screen at 80×24');
		keepCapture('resized-80x24', screen);
		expect(pane.wrappedRows()).toBe(0);
		expect(liveRegion(screen).length).toBeLessThanOrEqual(23);
		// What was written above the screen is still there, once (only old frames were erased).
		const history = pane.history();
		expect(count(history, /^\(virtagent\) agent_ping$/u)).toBe(1);
		expect(count(history, /^ok$/u)).toBe(1);
	});
});
