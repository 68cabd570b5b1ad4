/**
 * A fleet of real guest daemons in a libvirt-like channel tree: discovery, VMs that start and
 * stop, `@all` with a guest killed mid-command, `use`, `guests` and the fleet's transition log.
 */
import {mkdirSync, renameSync, symlinkSync, unlinkSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {DiscoveryWatcher, findAgentSockets} from '../../../src/monitor/fleet/discover.js';
import {Fleet} from '../../../src/monitor/fleet/fleet.js';
import type {FleetSession} from '../../../src/monitor/fleet/fleet-session.js';
import type {CommandOutcome} from '../../../src/monitor/session-api.js';
import {parseGuestSpec} from '../../../src/monitor/fleet/guest-spec.js';
import {startRealQemuGa} from '../../helpers/real-qemu-ga.js';
import {waitFor} from '../../helpers/socket-pair.js';
import {channelTree, type ChannelTree, fleetSession, fleetSuite, sessionOpener} from './helpers.js';

const cleanups = fleetSuite();

function tree(): ChannelTree {
	const made = channelTree();
	cleanups.push(async () => made.close());
	return made;
}

/** A fleet over `dir`, discovered and watched (fast rescans: the test does not wait on the safety net alone). */
async function discovered(dir: string, options: {rescanMs?: number} = {}): Promise<{session: FleetSession; fleet: Fleet; warnings: string[]}> {
	const fleet = new Fleet(sessionOpener());
	const warnings: string[] = [];
	const session = fleetSession(fleet, {guestWait: {waitMs: 5000, timeoutMs: 5000}});
	const watcher = new DiscoveryWatcher(fleet, dir, message => warnings.push(message), {rescanMs: options.rescanMs ?? 60_000});
	session.own(() => {
		watcher.close();
	});
	cleanups.push(async () => session.close());
	await watcher.start();
	return {session, fleet, warnings};
}

const names = (fleet: Fleet) => fleet.guests.map(guest => guest.name).sort();

describe('fleet over real guest daemons', () => {
	it("finds every agent socket in libvirt's layout and names each guest after its domain", async () => {
		const channels = tree();
		await Promise.all([channels.start('web1', {id: 3}), channels.start('web2'), channels.start('db1', {file: 'org.qemu.guest_agent.0'})]);
		// Not agent sockets: a plain file, a socket with another name, a directory with nothing.
		mkdirSync(path.join(channels.dir, 'domain-9-empty'));
		const found = await findAgentSockets(channels.dir);
		expect([...found!.found.values()].sort()).toEqual(['qga', 'virtagent', 'virtagent']);
		const {session, fleet} = await discovered(channels.dir);
		expect(names(fleet)).toEqual(['db1', 'web1', 'web2']);
		const result = await session.execute('@web* agent_ping');
		expect(result.ok).toBe(true);
		expect(result.text.split('\n').sort()).toEqual(['2 ok', 'web1: ok', 'web2: ok']);
		expect(result.text.split('\n').at(-1)).toBe('2 ok');
		expect(result.fanOut!.parts.map(part => part.guest).sort()).toEqual(['web1', 'web2']);
	}, 60_000);

	it('follows VMs that start and stop, through the watches alone', async () => {
		const channels = tree();
		const first = await channels.start('alpha');
		const {session, fleet} = await discovered(channels.dir);
		expect(names(fleet)).toEqual(['alpha']);
		const beta = await channels.start('beta');
		await waitFor(() => fleet.get('beta') !== undefined, 10_000, 'beta to appear');
		expect((await session.execute('@beta agent_ping')).text).toBe('ok');
		await channels.stop(first);
		await waitFor(() => fleet.get('alpha') === undefined, 10_000, 'alpha to go');
		expect(names(fleet)).toEqual(['beta']);
		const gone = await session.execute('@alpha agent_ping');
		expect(gone).toMatchObject({ok: false, text: "error: no guest matches 'alpha' (guests: beta)"});
		// The same VM started again (a new domain id) comes back under its name.
		await channels.start('alpha', {id: 77});
		await waitFor(() => fleet.get('alpha') !== undefined, 10_000, 'alpha to come back');
		expect((await session.execute('@all agent_ping')).text.split('\n').at(-1)).toBe('2 ok');
		void beta;
	}, 60_000);

	it('a path the disk cannot tell about (here a symlink loop: ELOOP) is not a VM that stopped', async () => {
		const channels = tree();
		const guest = await channels.start('steady');
		const {fleet} = await discovered(channels.dir, {rescanMs: 100});
		expect(names(fleet)).toEqual(['steady']);
		// The same path, now unreadable: a failed look, not a stop.
		const socketPath = guest.socketPath;
		const moved = `${socketPath}.moved`;
		renameSync(socketPath, moved);
		symlinkSync(socketPath, socketPath);
		const found = await findAgentSockets(channels.dir);
		expect([...found!.unsure]).toEqual([socketPath]);
		await new Promise(resolve => setTimeout(resolve, 500));
		expect(names(fleet)).toEqual(['steady']);
		// Really gone: it goes.
		unlinkSync(socketPath);
		await waitFor(() => fleet.size === 0, 10_000, 'steady to go');
		void moved;
	}, 60_000);

	it('finds what the watches missed on the slow rescan (a socket symlinked in)', async () => {
		const channels = tree();
		const real = await channels.start('real');
		const {fleet} = await discovered(path.join(channels.dir, 'watched'), {rescanMs: 200});
		expect(fleet.size).toBe(0);
		// The watched directory did not exist when the watch was set: only the rescan can see it.
		mkdirSync(path.join(channels.dir, 'watched', 'domain-5-linked'), {recursive: true});
		symlinkSync(real.socketPath, path.join(channels.dir, 'watched', 'domain-5-linked', 'org.qemu.virtagent'));
		await waitFor(() => fleet.get('linked') !== undefined, 10_000, 'the rescan to find the linked guest');
	}, 60_000);

	it('@all with one guest killed mid-command: its failure is named, the others answer', async () => {
		const channels = tree();
		const guests = await Promise.all(['g1', 'g2', 'g3', 'g4'].map(async name => channels.start(name)));
		const {session, fleet} = await discovered(channels.dir);
		expect((await session.execute('@all agent_ping')).text.split('\n').at(-1)).toBe('4 ok');
		const victim = guests[2]!;
		// Stopped, it cannot answer: the ping waits on the wire until the process dies.
		victim.daemon.child.kill('SIGSTOP');
		const running = session.execute('@all agent_ping');
		await waitFor(() => fleet.get('g3')!.session.model.client.jobs.some(job => job.status === 'waiting'), 10_000, "g3's ping on the wire");
		victim.daemon.child.kill('SIGKILL');
		const result: CommandOutcome = await running;
		expect(result.ok).toBe(false);
		const lines = result.text.split('\n');
		expect(lines.filter(line => line.endsWith(': ok')).sort()).toEqual(['g1: ok', 'g2: ok', 'g4: ok']);
		expect(lines.find(line => line.startsWith('g3: '))).toMatch(/^g3: error: .*(ECONNRESET|ENOTCONN|EPIPE)/u);
		expect(lines.at(-1)).toMatch(/^3 ok, 1 failed: g3 (ECONNRESET|ENOTCONN|EPIPE)$/u);
		// The others are unaffected: their queues are empty and they answer again.
		expect((await session.execute('@g[124] agent_ping')).text.split('\n').at(-1)).toBe('3 ok');
	}, 60_000);

	it('use NAME sets the target; a bare line needs one; guests and info transitions NAME', async () => {
		const channels = tree();
		await Promise.all([channels.start('web1'), channels.start('db1')]);
		const {session} = await discovered(channels.dir);
		const bare = await session.execute('agent_ping');
		expect(bare).toMatchObject({ok: false, text: 'error: 2 guests: say which with use NAME, or run it with @NAME, @all or @GLOB'});
		expect(await session.execute('use nope')).toMatchObject({ok: false, text: expect.stringMatching(/^error: no guest matches 'nope'/u)});
		expect(await session.execute('use db1')).toMatchObject({ok: true, text: 'commands now run on db1'});
		expect(session.targetName).toBe('db1');
		expect(await session.execute('agent_ping')).toMatchObject({ok: true, text: 'ok', guest: 'db1'});
		expect((await session.execute('@all agent_ping')).ok).toBe(true);
		const table = await session.execute('guests');
		const rows = table.text.split('\n');
		expect(rows[0]).toMatch(/^ +name +protocol +connection +ready since +queue +last rtt +failures$/u);
		expect(rows.find(row => row.includes('db1'))).toMatch(/^\* +db1 +virtagent +ready +\d\d:\d\d:\d\d \(.+\) +0\/5 +\d+ms +0$/u);
		expect(table).toMatchObject({value: {guests: expect.arrayContaining([expect.objectContaining({name: 'web1', state: 'ready', target: false})])}});
		const log = await session.execute('info transitions db1 50');
		expect(log.ok).toBe(true);
		expect(log.text.split('\n').every(line => / db1 /u.test(line))).toBe(true);
		const all = await session.execute('info transitions');
		expect(all.text).toMatch(/ web1 /u);
		expect(await session.execute('info transitions zzz')).toMatchObject({
			ok: false,
			text: expect.stringMatching(/^error: no guest matches 'zzz' \(guests: (db1, web1|web1, db1)\)$/u),
		});
		expect(session.complete('@w')).toEqual(['@web1']);
		expect(session.complete('use d')).toEqual(['db1']);
		expect(session.complete('@all agent_p')).toEqual(['agent_ping']);
		expect(session.complete('gue')).toEqual(['guests']);
	}, 60_000);
});

describe('fleet with mixed protocols', () => {
	it('a real qemu-ga (block-listed) beside virtagent daemons: discovered as qga, @all answers on both, guests says which', async () => {
		const channels = tree();
		await Promise.all([channels.start('web1'), channels.start('web2')]);
		const qgaDir = path.join(channels.dir, 'qga-state');
		mkdirSync(qgaDir);
		const qga = await startRealQemuGa(qgaDir);
		cleanups.push(async () => qga.stop());
		// libvirt's layout: the domain's directory holds org.qemu.guest_agent.0 (here a link to qemu-ga's socket).
		mkdirSync(path.join(channels.dir, 'domain-8-db1'));
		symlinkSync(qga.path, path.join(channels.dir, 'domain-8-db1', 'org.qemu.guest_agent.0'));
		const {session, fleet} = await discovered(channels.dir);
		expect(names(fleet)).toEqual(['db1', 'web1', 'web2']);
		expect(fleet.get('db1')!.spec.protocol).toBe('qga');
		const result = await session.execute('@all agent_ping');
		expect(result.text.split('\n').slice(0, 3).sort()).toEqual(['db1: ok', 'web1: ok', 'web2: ok']);
		expect(result.text.split('\n').at(-1)).toBe('3 ok');
		const table = await session.execute('guests');
		expect(table.text).toMatch(/^ +db1 +qga +ready /mu);
		expect(table.text).toMatch(/^ +web1 +virtagent +ready /mu);
		// A command qemu-ga has blocked fails on that guest alone, named; the others answer.
		const dmesg = await session.execute('@all agent_viewdmesg');
		expect(dmesg.ok).toBe(false);
		expect(dmesg.fanOut!.summary).toMatch(/^2 ok, 1 failed: db1 /u);
	}, 60_000);

	it('protocol=auto on --connect detects each guest', async () => {
		const channels = tree();
		const web = await channels.start('web1');
		const qgaDir = path.join(channels.dir, 'qga-state');
		mkdirSync(qgaDir);
		const qga = await startRealQemuGa(qgaDir);
		cleanups.push(async () => qga.stop());
		const fleet = new Fleet(sessionOpener());
		const session = fleetSession(fleet, {guestWait: {waitMs: 5000, timeoutMs: 5000}});
		cleanups.push(async () => session.close());
		await fleet.add(parseGuestSpec(`a=${web.socketPath},protocol=auto`));
		await fleet.add(parseGuestSpec(`b=${qga.path},protocol=auto`));
		expect((await session.execute('@all agent_ping')).text.split('\n').at(-1)).toBe('2 ok');
		const rows = session.rows();
		expect(rows.map(row => `${row.name} ${row.protocol}`)).toEqual(['a virtagent', 'b qga']);
	}, 60_000);
});
