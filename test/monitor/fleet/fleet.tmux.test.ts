/**
 * The fleet table in a real terminal (tmux, 80×24) over 30 guests: every line fits (nothing
 * wrapped), results stay in the scrollback (nothing erased), the table scrolls, `use` moves the
 * focus and the prompt, the transition log names the guest on each line.
 */
import {describe, expect, it} from 'vitest';
import {tempDir} from '../../helpers/socket-pair.js';
import {binPath, repoRoot} from '../helpers/cli.js';
import {promptLine, startPane} from '../ui/helpers/tmux.js';
import {terminalSuite} from '../ui/helpers/tmux.js';
import {guestFarm} from './helpers.js';

const cleanups = terminalSuite();

describe('the fleet screen in a real terminal', () => {
	it('80×24 with 30 guests: the table, a fan-out, scrolling and use, nothing wrapped or erased', async () => {
		const {dir, remove} = tempDir('va-fleet-ui-');
		cleanups.push(remove);
		const farm = await guestFarm(dir, 30);
		cleanups.push(async () => farm.stop());
		const pane = startPane(`node ${binPath} monitor --discover ${dir}; echo "monitor exited: $?"; sleep 30`, {HOME: dir, NO_COLOR: '1'}, repoRoot, {
			columns: 80,
			rows: 24,
		});
		cleanups.push(() => {
			pane.kill();
		});
		let screen = await pane.until(text => text.includes('guests 30: 30 ready'), 'thirty guests ready', 30_000);
		expect(screen.split('\n')[0]).toBe('guests 30: 30 ready · 1-6 (PgUp/PgDn)');
		expect(screen).toMatch(/^▸ vm1 +ready +q 0\/5/mu);
		expect(screen).toMatch(/^ {2}vm6 +ready/mu);
		expect(screen).not.toMatch(/^ {2}vm7 /mu);
		expect(pane.wrappedRows()).toBe(0);

		pane.type('@all agent_ping', true);
		const history = await pane.until(text => /^30 ok$/mu.test(text), 'the fan-out summary', 30_000, true);
		// Every guest's line is in the scrollback, each once: nothing was drawn over.
		for (let index = 1; index <= 30; index++) {
			expect(history.split('\n').filter(line => line === `vm${index}: ok`)).toHaveLength(1);
		}

		screen = pane.screen();
		expect(pane.wrappedRows()).toBe(0);
		expect(screen.split('\n').every(line => [...line].length <= 80)).toBe(true);
		// The log names the guest on each line.
		expect(screen).toMatch(/^\d\d:\d\d:\d\d\.\d{3} vm\d+ client WAIT→IDLE #\d+ va\.ping$/mu);

		pane.key('PageDown');
		screen = await pane.until(text => text.includes('· 7-12 (PgUp/PgDn)'), 'PgDn scrolls the table');
		expect(screen).toMatch(/^ {2}vm7 +ready/mu);
		pane.type('use vm25', true);
		screen = await pane.until(
			text => text.trimEnd().split('\n').at(-1) === '(virtagent vm25)' && /^▸ vm25 +ready/mu.test(text),
			'the prompt names the target, the table shows it focused',
		);
		expect(promptLine(screen)).toBe('(virtagent) use vm25');
		expect(screen).toMatch(/domain-25-vm25\/org\.qemu\.virtagent +● connected/u);
		pane.type('agent_ping', true);
		await pane.until(text => /^\(virtagent vm25\) agent_ping\nok$/mu.test(text), 'agent_ping on vm25', 10_000, true);
		expect(pane.wrappedRows()).toBe(0);
		pane.type('quit', true);
		await pane.until(text => text.includes('monitor exited: 0'), 'quit');
	}, 120_000);
});
