/**
 * The live screen on qemu-ga, in a real 80×24 terminal (tmux): the built CLI with its default
 * --protocol auto against the REAL qemu-ga (block list of docs/QGA.md).
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {startRealQemuGa, type RealQemuGa} from '../../helpers/real-qemu-ga.js';
import {tempDir} from '../../helpers/socket-pair.js';
import {binPath, ensureBuilt, repoRoot} from '../helpers/cli.js';
import {promptLine, startPane, terminalSuite} from './helpers/tmux.js';

const cleanups = terminalSuite();
const temp = tempDir('va-ui-qga-');
let real: RealQemuGa;

beforeAll(async () => {
	ensureBuilt();
	real = await startRealQemuGa(temp.dir);
}, 60_000);

afterAll(async () => {
	await real?.stop();
	temp.remove();
});

describe('the monitor on qemu-ga in an 80×24 terminal', () => {
	it('says what it found, the server panel says qemu-ga never calls, the qga command, Tab completion and a copy', async () => {
		const {dir: home, remove} = tempDir('va-ui-home-');
		cleanups.push(remove);
		const pane = startPane(`node ${binPath} monitor --connect ${real.path}; echo "monitor exited: $?"; sleep 30`, {HOME: home, NO_COLOR: '1'}, repoRoot, {
			columns: 80,
			rows: 24,
		});
		cleanups.push(() => {
			pane.kill();
		});
		const ready = await pane.until(text => /commands enabled/u.test(text) && promptLine(text) === '(virtagent)', 'the status line and the prompt');
		// 80 columns: the status line takes two rows, the guest on the second.
		expect(ready).toMatch(/● connected\s+qemu-ga [\d.]+, 10 commands enabled/u);
		expect(ready).toContain('qemu-ga never calls the host');

		pane.type('agent_ping', true);
		let screen = await pane.until(text => /\(virtagent\) agent_ping\n(?:.*\n)?ok\n/u.test(text), 'agent_ping → ok');
		expect(screen).toMatch(/client WAIT→IDLE #\d+ guest-ping/u);

		pane.type('qga guest-file-');
		pane.key('Tab');
		screen = await pane.until(text => text.includes('guest-file-close  guest-file-open  guest-file-read'), 'the enabled file commands offered');
		pane.key('C-u');

		pane.type('qga guest-get-users', true);
		await pane.until(text => text.includes('error: CommandNotFound: Command guest-get-users has been disabled'), 'a disabled command, QMP-shaped');

		const file = path.join(temp.dir, 'screen.bin');
		writeFileSync(file, Buffer.alloc(3 * 1024 * 1024, 7));
		pane.type(`agent_getfile ${file} ${path.join(temp.dir, 'screen-copy.bin')}`, true);
		screen = await pane.until(text => /copied 3145728 bytes to /u.test(text), 'the copy');
		expect(screen).toContain('could not check whether the file changed during the copy');

		pane.type('quit', true);
		await pane.until(text => text.includes('monitor exited: 0'), 'quit');
	}, 60_000);
});
