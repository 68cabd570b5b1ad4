/**
 * The prompt's readline keys in a real terminal (tmux sends the bytes its keys really send:
 * Delete is ESC[3~, Backspace is DEL), against the demo's real guest daemon.
 */
import {describe, expect, it} from 'vitest';
import {tempDir} from '../../helpers/socket-pair.js';
import {binPath, repoRoot} from '../helpers/cli.js';
import {promptLine, startPane, terminalSuite, type Pane} from './helpers/tmux.js';

const cleanups = terminalSuite();

function demoPane(): Pane {
	const {dir: home, remove} = tempDir('va-keys-home-');
	cleanups.push(remove);
	const pane = startPane(`node ${binPath} demo; echo "monitor exited: $?"; sleep 30`, {HOME: home, NO_COLOR: '1'}, repoRoot);
	cleanups.push(() => {
		pane.kill();
	});
	return pane;
}

describe('the prompt in a real terminal', () => {
	it('Delete and Backspace, Alt-B, Ctrl-R and Ctrl-L act as in bash', async () => {
		const pane = demoPane();
		await pane.until(screen => screen.includes('said hello at') && promptLine(screen) === '(virtagent)', 'the prompt');
		pane.type('agent_ping', true);
		await pane.until(screen => /^ok$/mu.test(screen), 'agent_ping → ok');

		pane.type('agent_pxing');
		for (let index = 0; index < 4; index++) {
			pane.key('Left');
		}

		pane.key('DC');
		await pane.until(screen => promptLine(screen) === '(virtagent) agent_ping', 'Delete removes the character under the cursor');
		pane.key('BSpace');
		await pane.until(screen => promptLine(screen) === '(virtagent) agent_ing', 'Backspace removes the one before it');
		pane.key('M-b');
		pane.type('X');
		await pane.until(screen => promptLine(screen) === '(virtagent) Xagent_ing', 'Alt-B goes back a word (of letters and digits)');
		pane.key('C-e');
		pane.key('C-u');

		pane.key('C-r');
		pane.type('pi');
		await pane.until(screen => screen.includes("(reverse-i-search)'pi': agent_ping"), 'Ctrl-R finds agent_ping');
		pane.key('C-g');
		await pane.until(screen => promptLine(screen) === '(virtagent)', 'Ctrl-G leaves the search');

		pane.type('help');
		pane.key('C-l');
		const cleared = await pane.until(screen => screen.split('\n')[0]!.startsWith('unix:'), 'Ctrl-L: the live region at the top of the screen');
		expect(cleared).not.toMatch(/^ok$/mu);
		expect(promptLine(cleared)).toBe('(virtagent) help');
		// The scrollback keeps what was above (bash's Ctrl-L does not erase history).
		expect(pane.history()).toMatch(/^ok$/mu);

		pane.key('C-e');
		pane.key('C-u');
		pane.type('quit', true);
		await pane.until(screen => screen.includes('monitor exited: 0'), 'quit');
	});
});
