/**
 * `--libvirt`: domains listed by virsh, agent commands through `virsh qemu-agent-command`, over
 * real (block-listed) qemu-ga processes. virsh itself is a stand-in (fake-virsh.ts): libvirtd
 * could not run a domain on this machine.
 */
import {mkdirSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {Fleet} from '../../../src/monitor/fleet/fleet.js';
import {LibvirtWatcher, listDomains} from '../../../src/monitor/fleet/libvirt.js';
import {guestOpener} from '../../../src/monitor/fleet/open-guest.js';
import {allCommands} from '../../../commands/index.js';
import {startRealQemuGa, type RealQemuGa} from '../../helpers/real-qemu-ga.js';
import {tempDir, waitFor} from '../../helpers/socket-pair.js';
import {runCli} from '../helpers/cli.js';
import {fakeVirsh, type FakeVirsh} from './fake-virsh.js';
import {fleetSession, fleetSuite} from './helpers.js';

const cleanups = fleetSuite({built: true});

async function host(domains: readonly string[]): Promise<{virsh: FakeVirsh; agents: Map<string, RealQemuGa>}> {
	const {dir, remove} = tempDir('va-libvirt-');
	cleanups.push(remove);
	const virsh = fakeVirsh(dir);
	const agents = new Map<string, RealQemuGa>();
	for (const name of domains) {
		const state = path.join(dir, `qga-${name}`);
		mkdirSync(state);
		const agent = await startRealQemuGa(state);
		cleanups.push(async () => agent.stop());
		agents.set(name, agent);
		virsh.startDomain(name, agent.path);
	}

	return {virsh, agents};
}

describe('--libvirt', () => {
	it('lists the running domains and runs agent commands through virsh qemu-agent-command (CLI)', async () => {
		const {virsh} = await host(['web1', 'db1']);
		const withVirsh = await runCliWithPath(virsh.binDir, ['monitor', '--libvirt', 'qemu:///system', '-c', '@all agent_ping; guests']);
		const lines = withVirsh.stdout.trim().split('\n');
		expect(lines.slice(0, 2).sort()).toEqual(['db1: ok', 'web1: ok']);
		expect(lines[2]).toBe('2 ok');
		expect(withVirsh.stdout).toMatch(/^ +db1 +qga +ready /mu);
		expect(withVirsh.code).toBe(0);
		const calls = virsh.calls();
		expect(calls).toContainEqual(['-c', 'qemu:///system', 'list', '--name']);
		const pings = calls.filter(call => call[2] === 'qemu-agent-command' && call[4]!.includes('"guest-ping"'));
		expect(pings.map(call => call[3]).sort()).toEqual(['db1', 'web1']);
		// libvirt syncs with the agent itself: no sync ever goes through virsh.
		expect(calls.some(call => call[4]?.includes('guest-sync'))).toBe(false);
	}, 60_000);

	it('-v shows the frames of libvirt guests too, named (their agent was built without the wire tap)', async () => {
		const {virsh} = await host(['web1']);
		const run = await runCliWithPath(virsh.binDir, ['monitor', '--libvirt', '--stall-timeout', '2', '-v', '-c', '@all agent_ping']);
		expect(run.code).toBe(0);
		expect(run.stderr).toMatch(/^web1: >> .*guest-ping/mu);
		expect(run.stderr).toMatch(/^web1: << /mu);
	}, 60_000);

	it('follows domains that start and stop; a domain gone under a command fails, named', async () => {
		const {virsh, agents} = await host(['a1', 'a2']);
		expect(await listDomains('', {virsh: virsh.path})).toEqual(['a1', 'a2']);
		const fleet = new Fleet(guestOpener({commands: allCommands, timeoutMs: 5000, waitForGuest: true, virsh: {virsh: virsh.path}}));
		const session = fleetSession(fleet, {guestWait: {waitMs: 5000, timeoutMs: 5000}});
		cleanups.push(async () => session.close());
		const warnings: string[] = [];
		const watcher = new LibvirtWatcher(fleet, '', message => warnings.push(message), {virsh: virsh.path, pollMs: 200});
		session.own(() => {
			watcher.close();
		});
		await watcher.start();
		expect(fleet.guests.map(guest => guest.name)).toEqual(['a1', 'a2']);
		expect((await session.execute('@all agent_ping')).text.split('\n').at(-1)).toBe('2 ok');
		// The agent dies while the domain is still listed: that guest's command fails, named.
		await agents.get('a2')!.kill();
		const result = await session.execute('@all agent_ping');
		expect(result.fanOut!.summary).toMatch(/^1 ok, 1 failed: a2 /u);
		expect(result.text).toMatch(/^a2: error: .*virsh: Guest agent is not responding/mu);
		virsh.stopDomain('a2');
		await waitFor(() => fleet.get('a2') === undefined, 10_000, 'a2 to go');
		virsh.startDomain('a3', agents.get('a1')!.path);
		await waitFor(() => fleet.get('a3') !== undefined, 10_000, 'a3 to appear');
		expect(warnings).toEqual([]);
	}, 60_000);
});

async function runCliWithPath(binDir: string, args: readonly string[]) {
	const saved = process.env.PATH;
	process.env.PATH = `${binDir}:${saved}`;
	try {
		return await runCli(args, '', 30_000);
	} finally {
		process.env.PATH = saved;
	}
}
