/**
 * The screen in a real terminal: tmux, CI=false, the built CLI (`node bin/virtagent.js`)
 * against a real guest daemon (the demo) and against a hostile fake guest.
 */
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {tempDir} from '../../helpers/socket-pair.js';
import {binPath, repoRoot} from '../helpers/cli.js';
import {hostileGuest, type HostileGuest} from './helpers/hostile-guest.js';
import {promptLine, startPane, terminalSuite, type Pane} from './helpers/tmux.js';

const cleanups = terminalSuite();

/** Run `args` in a pane with its own HOME (so the history file is a temporary one). */
function monitorPane(args: string): {pane: Pane; home: string} {
	const {dir: home, remove} = tempDir('va-ui-home-');
	cleanups.push(remove);
	// The shell stays after the monitor so that its exit code can be read on the pane.
	const pane = startPane(`node ${binPath} ${args}; echo "monitor exited: $?"; sleep 30`, {HOME: home, NO_COLOR: '1'}, repoRoot);
	cleanups.push(() => {
		pane.kill();
	});
	return {pane, home};
}

const lines = (screen: string, pattern: RegExp) => screen.split('\n').filter(line => pattern.test(line));

describe('the monitor in a real terminal', () => {
	it('against the demo guest: status, results, errors, the queue, transitions and history recall', async () => {
		const {pane} = monitorPane('demo');
		const ready = await pane.until(screen => screen.includes('said hello at') && promptLine(screen) === '(virtagent)', 'the status line and the prompt');
		expect(ready).toMatch(/unix:\S+va\.sock\s+● connected/u);
		expect(ready).toMatch(/guest said hello at \d\d:\d\d:\d\d, version 1\.0, \d+ methods/u);

		pane.type('agent_ping', true);
		let screen = await pane.until(text => /\(virtagent\) agent_ping\n(?:.*\n)?ok\n/u.test(text), 'agent_ping → ok');
		screen = await pane.until(text => /client\s+IDLE\s+queue 0\/5\s+done [1-9]/u.test(text), 'the client panel counting the job');
		expect(screen).toMatch(/\d\d:\d\d:\d\d\.\d{3} client WAIT→IDLE #\d+ va\.ping/u);
		expect(screen).toMatch(/server\s+IDLE\s+queue 0\/1/u);

		pane.type('agent_shutdown sideways', true);
		await pane.until(text => text.includes("invalid shutdown type 'sideways'"), 'the bad argument refused');

		// Ten commands in one chunk: five fill the queue, the shell's backlog feeds it the rest.
		pane.type('agent_ping\r'.repeat(10));
		screen = await pane.until(text => lines(text, /^ok$/u).length === 11, 'ten more oks', 10_000, true);
		expect(screen).not.toContain('client job queue limit exceeded');

		pane.key('Up');
		await pane.until(text => promptLine(text) === '(virtagent) agent_ping', 'Up recalls the last line');
		pane.key('Up');
		await pane.until(text => promptLine(text) === '(virtagent) agent_shutdown sideways', 'Up again');
		pane.key('C-u');
		pane.type('agent_sh');
		pane.key('Tab');
		await pane.until(text => promptLine(text) === '(virtagent) agent_shutdown', 'Tab completes the command');
		pane.key('C-u');

		pane.type('quit', true);
		await pane.until(text => text.includes('monitor exited: 0'), 'quit ends the demo with 0');
	});

	describe('against a hostile guest', () => {
		let guest: HostileGuest;
		let socketPath: string;

		async function startGuest(): Promise<void> {
			const {dir, remove} = tempDir('va-ui-hostile-');
			cleanups.push(remove);
			socketPath = path.join(dir, 'guest.sock');
			guest = await hostileGuest(socketPath);
			cleanups.push(async () => guest.close());
		}

		it('escapes its dmesg, times out a request it never answers, and survives a dropped stream', async () => {
			await startGuest();
			const {pane} = monitorPane(`monitor --connect ${socketPath} --timeout 1.5`);
			await pane.until(text => text.includes('said hello at') && promptLine(text) === '(virtagent)', 'the hello');
			// Its version string (raw ESC, BEL, CSI, U+2028, a newline) on the status line, escaped.
			let screen = await pane.until(text => text.includes('version 1.0\\x1b]0;pwned\\x07\\u009b2J\\u2028sep\\nnext'), 'the hostile version, escaped');
			expect(screen).not.toContain('pwned\u0007');

			pane.type('agent_viewdmesg', true);
			screen = await pane.until(text => text.includes('boot ok'), 'dmesg');
			expect(screen).toContain('\\x1b[2J\\x1b[31mRED\\x1b]0;pwned\\x07 done');
			// Nothing was cleared: the status line and the echo are still on the screen.
			expect(screen).toContain('(virtagent) agent_viewdmesg');
			expect(screen).toContain('said hello at');

			pane.type('agent_capabilities', true);
			screen = await pane.until(text => text.includes('va.\\u009b2Jevil\\u202e'), 'the hostile method name, escaped');

			pane.type('agent_ping', true);
			pane.type('agent_ping', true);
			screen = await pane.until(text => lines(text, /#\d+\s+va\.ping\s+(waiting|queued)/u).length === 2, 'two pings in the queue');
			expect(screen).toMatch(/client\s+WAIT\s+queue 2\/5/u);
			expect(lines(screen, /#\d+\s+va\.ping\s+waiting/u)).toHaveLength(1);
			expect(lines(screen, /#\d+\s+va\.ping\s+queued/u)).toHaveLength(1);
			screen = await pane.until(text => lines(text, /timed out/u).length >= 2 && /client\s+IDLE\s+queue 0\/5/u.test(text), 'both pings timed out');
			// The guest got the first (and perhaps the second, sent as the first timed out) and answered none.
			expect(guest.unansweredPings()).toBeGreaterThanOrEqual(1);

			// The guest still holds the abandoned ping: with no late answer within the grace period
			// (twice the timeout) the monitor resets the channel and reconnects (docs/PROTOCOL.md §4).
			await pane.until(() => guest.connections() >= 2, 'the monitor resets the held channel', 10_000);
			await pane.until(text => text.includes('● connected') && text.includes('said hello at'), 'connected after the reset');
			pane.type('agent_viewfile /etc/hostname', true);
			screen = await pane.until(text => /ECONNRESET|channel lost|connection (?:lost|closed)/iu.test(text), 'the dropped stream reported', 10_000);
			await pane.until(() => guest.connections() >= 3, 'the monitor reconnects', 10_000);
			await pane.until(text => text.includes('● connected') && text.includes('said hello at'), 'connected again');

			// Still a sane, working screen.
			pane.type('help agent_ping', true);
			await pane.until(text => /agent_ping\s+--/u.test(text), 'help answers');
			pane.key('C-c');
			pane.key('C-c');
			await pane.until(text => text.includes('monitor exited: 0'), 'two Ctrl-C on an empty line end it');
		});
	});
});
