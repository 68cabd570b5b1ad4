/**
 * One guest (plain `--connect PATH`, no fleet option) answers the fleet's words: `guests` shows its
 * row, `use NAME` of its name works and shows in the prompt, `@NAME`, `@all` and `@GLOB` run on
 * it, so that scripts written for a fleet run on one guest. Real guest daemon, real CLI, tmux.
 */
import {describe, expect, it} from 'vitest';
import {binPath, repoRoot, runCli} from '../helpers/cli.js';
import {startPane, terminalSuite} from '../ui/helpers/tmux.js';
import {channelTree, fleetSuite, type TreeGuest} from './helpers.js';

const cleanups = fleetSuite({built: true});
const paneCleanups = terminalSuite();

async function oneGuest(name = 'solo'): Promise<TreeGuest> {
	const channels = channelTree();
	cleanups.push(async () => channels.close());
	return channels.start(name);
}

describe('one guest speaks the fleet words', () => {
	it('guests shows one row; use of its name, @NAME, @all and @GLOB run on it; bare lines print as before', async () => {
		const guest = await oneGuest();
		const run = await runCli([
			'monitor',
			'--connect',
			guest.socketPath,
			'-c',
			'agent_ping; guests; use solo; guests; @solo agent_ping; @all agent_ping; @s* agent_ping',
		]);
		expect(run.stderr).toBe('');
		const lines = run.stdout.trim().split('\n');
		expect(lines[0]).toBe('ok');
		expect(lines[1]).toMatch(/^ +name +protocol +connection/u);
		expect(lines[2]).toMatch(/^ +solo +virtagent +ready /u);
		expect(lines[3]).toBe('commands now run on solo');
		expect(lines[5]).toMatch(/^\* +solo +virtagent +ready /u);
		expect(lines.slice(6)).toEqual(['ok', 'solo: ok', '1 ok', 'solo: ok', '1 ok']);
		expect(run.code).toBe(0);
	}, 60_000);

	it('another name is an error, exit 1, named as with a fleet; --json lines of @ carry the guest', async () => {
		const guest = await oneGuest();
		const wrong = await runCli(['monitor', '--connect', guest.socketPath, '-c', 'use web1; @web1 agent_ping; @db* agent_ping']);
		expect(wrong.stdout).toBe('');
		expect(wrong.stderr.trim().split('\n')).toEqual([
			"error: no guest matches 'web1' (guests: solo)",
			"error: no guest matches 'web1' (guests: solo)",
			"error: no guest matches 'db*' (guests: solo)",
		]);
		expect(wrong.code).toBe(1);
		const json = await runCli(['monitor', '--connect', guest.socketPath, '--json', '-c', 'agent_ping; @all agent_ping; @solo agent_ping']);
		const lines = json.stdout
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as Record<string, unknown>);
		// A bare line's JSON stays as it was (no guest); lines run through @ say whose they are.
		expect(lines).toEqual([
			{id: 1, command: 'agent_ping', return: {}},
			{id: 2, command: '@all agent_ping', guest: 'solo', return: {}},
			{id: 3, command: '@solo agent_ping', guest: 'solo', return: {}},
		]);
		expect(json.code).toBe(0);
	}, 60_000);

	it('--plain in a terminal: the prompt shows the target after use NAME', async () => {
		const guest = await oneGuest();
		const pane = startPane(`node ${binPath} monitor --plain --connect ${guest.socketPath}; sleep 30`, {HOME: guest.directory, NO_COLOR: '1'}, repoRoot, {
			columns: 80,
			rows: 24,
		});
		paneCleanups.push(() => {
			pane.kill();
		});
		// The status lines may follow the first prompt: wait for the negotiation, not for the prompt to be last.
		await pane.until(text => /said hello.*methods$/mu.test(text) && text.includes('(virtagent)'), 'the plain prompt and a ready guest', 20_000);
		pane.type('use solo', true);
		await pane.until(text => /^commands now run on solo\n\(virtagent solo\)$/mu.test(text.trimEnd()), 'the prompt names the target');
		pane.type('@all agent_ping', true);
		await pane.until(text => /^\(virtagent solo\) @all agent_ping\nsolo: ok\n1 ok\n\(virtagent solo\)$/mu.test(text.trimEnd()), 'the fan-out of one');
	}, 60_000);

	it('the live screen: the prompt shows the target after use NAME, and no fleet table is drawn', async () => {
		const guest = await oneGuest();
		const pane = startPane(`node ${binPath} monitor --connect ${guest.socketPath}; sleep 30`, {HOME: guest.directory, NO_COLOR: '1'}, repoRoot, {
			columns: 80,
			rows: 24,
		});
		paneCleanups.push(() => {
			pane.kill();
		});
		await pane.until(text => /7 methods/u.test(text) && text.trimEnd().split('\n').at(-1) === '(virtagent)', 'the screen with a ready guest', 20_000);
		pane.type('use solo', true);
		const screen = await pane.until(text => text.trimEnd().split('\n').at(-1) === '(virtagent solo)', 'the prompt names the target');
		expect(screen).toMatch(/^commands now run on solo$/mu);
		expect(screen).not.toMatch(/^guests 1/mu);
	}, 60_000);
});
