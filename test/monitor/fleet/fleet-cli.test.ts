/** `virtagent monitor` scripted over several real guest daemons: lines per guest, JSON, exit codes. */
import {describe, expect, it} from 'vitest';
import {runCli} from '../helpers/cli.js';
import {channelTree, type ChannelTree, fleetSuite} from './helpers.js';

const cleanups = fleetSuite({built: true});

async function threeGuests(): Promise<ChannelTree> {
	const channels = channelTree();
	cleanups.push(async () => channels.close());
	await Promise.all(['web1', 'web2', 'db1'].map(async name => channels.start(name)));
	return channels;
}

describe('virtagent monitor with several guests, scripted', () => {
	it("-c '@all agent_ping' prints NAME: ok lines and a summary; exit 0", async () => {
		const {dir} = await threeGuests();
		const run = await runCli(['monitor', '--discover', dir, '-c', '@all agent_ping']);
		expect(run.stderr).toBe('');
		const lines = run.stdout.trim().split('\n');
		expect(lines.slice(0, 3).sort()).toEqual(['db1: ok', 'web1: ok', 'web2: ok']);
		expect(lines[3]).toBe('3 ok');
		expect(run.code).toBe(0);
	}, 60_000);

	it("-v shows every guest's frames, not only the focused one's, each line naming its guest", async () => {
		const {dir} = await threeGuests();
		const run = await runCli(['monitor', '--discover', dir, '-v', '-c', '@all agent_ping']);
		expect(run.code).toBe(0);
		const lines = run.stderr.trim().split('\n');
		for (const name of ['web1', 'web2', 'db1']) {
			expect(lines.filter(line => line.startsWith(`${name}: >> request `) && line.includes('va.ping'))).toHaveLength(1);
			expect(lines.some(line => line.startsWith(`${name}: << response `))).toBe(true);
		}

		expect(lines.every(line => /^(web1|web2|db1): /u.test(line))).toBe(true);
	}, 60_000);

	it('--json lines carry the guest; a guest that cannot be reached fails, named, exit 1; the others answer', async () => {
		const {dir} = await threeGuests();
		const run = await runCli(['monitor', '--discover', dir, '--connect', `ghost=${dir}/nothing.sock`, '--json', '-c', '@all agent_ping']);
		const lines = run.stdout
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as {guest: string; return?: unknown; error?: {desc: string}});
		expect(lines.map(line => line.guest).sort()).toEqual(['db1', 'ghost', 'web1', 'web2']);
		expect(lines.filter(line => line.return !== undefined)).toHaveLength(3);
		expect(lines.find(line => line.guest === 'ghost')!.error!.desc).toMatch(/no such socket/u);
		expect(run.code).toBe(1);
	}, 60_000);

	it('a target that matches no guest is an error, exit 1; --guest sets the default target', async () => {
		const {dir} = await threeGuests();
		const none = await runCli(['monitor', '--discover', dir, '-c', '@db* agent_ping; @nothing agent_ping']);
		expect(none.stdout.trim().split('\n')).toEqual(['db1: ok', '1 ok']);
		expect(none.stderr.trim()).toMatch(/^error: no guest matches 'nothing' \(guests: .*db1.*\)$/u);
		expect(none.code).toBe(1);
		const targeted = await runCli(['monitor', '--discover', dir, '--guest', 'web2', '--json', '-c', 'agent_ping; guests']);
		const [ping, guests] = targeted.stdout
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as Record<string, unknown>);
		expect(ping).toMatchObject({guest: 'web2', return: {}});
		expect(guests).toMatchObject({return: {guests: expect.arrayContaining([expect.objectContaining({name: 'web2', target: true})])}});
		expect(targeted.code).toBe(0);
		const several = await runCli(['monitor', '--discover', dir, '-c', 'agent_ping']);
		expect(several.stderr.trim()).toBe('error: 3 guests: say which with use NAME, or run it with @NAME, @all or @GLOB');
		expect(several.code).toBe(1);
	}, 60_000);
});
