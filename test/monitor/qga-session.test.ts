/**
 * The monitor's session on qemu-ga (docs/PROTOCOL.md §9): `--protocol qga` and `auto` against
 * the REAL qemu-ga (always with the block list of docs/QGA.md), every agent_* command, the qga
 * command and their error classes, auto-detection (qemu-ga, a virtagent guest, a silent one),
 * a killed and restarted qemu-ga, and one held by another client.
 */
import {createHash, randomBytes} from 'node:crypto';
import {readFileSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {allCommands} from '../../commands/index.js';
import type {SessionEvent} from '../../src/monitor/session-api.js';
import type {Session} from '../../src/monitor/session.js';
import {openSession, type SessionOptions} from '../../src/monitor/open-session.js';
import type {ProtocolChoice} from '../../src/monitor/qga/protocol-switch.js';
import {allowedQgaCommands, startRealQemuGa, type RealQemuGa} from '../helpers/real-qemu-ga.js';
import {tempDir, waitFor} from '../helpers/socket-pair.js';
import {ensureBuilt, runCli} from './helpers/cli.js';
import {startFakeGuest} from './helpers/fake-guest.js';

const temp = tempDir('va-qga-session-');
let real: RealQemuGa;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
	ensureBuilt();
	real = await startRealQemuGa(temp.dir);
}, 60_000);

afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

afterAll(async () => {
	await real?.stop();
	temp.remove();
});

async function session(
	socketPath: string,
	protocol: ProtocolChoice,
	options: Partial<SessionOptions> = {},
): Promise<{monitor: Session; events: SessionEvent[]}> {
	const monitor = await openSession({
		commands: allCommands,
		target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}},
		timeoutMs: 3000,
		waitForGuest: true,
		retryMinMs: 20,
		retryMaxMs: 200,
		protocol,
		...options,
	});
	const events: SessionEvent[] = [];
	monitor.subscribe(event => events.push(event));
	cleanups.push(async () => monitor.close());
	return {monitor, events};
}

function logs(events: readonly SessionEvent[]): string[] {
	return events.flatMap(event => (event.type === 'log' ? [event.message] : []));
}

describe('the monitor on the real qemu-ga', () => {
	for (const protocol of ['qga', 'auto'] as const) {
		it(`--protocol ${protocol}: ping, capabilities, viewfile, viewdmesg refused by name, getfile byte-exact`, async () => {
			const {monitor} = await session(real.path, protocol);
			expect(await monitor.execute('agent_ping')).toMatchObject({ok: true, text: 'ok'});
			expect(monitor.status.protocol).toBe('qga');
			expect(monitor.status.guest.methods).toEqual([...allowedQgaCommands].sort());

			const caps = await monitor.execute('agent_capabilities');
			expect(caps.ok).toBe(true);
			expect(caps.text.split('\n')[0]).toBe(`qemu-ga ${real.version}: the following commands are enabled:`);
			expect(caps.text).toMatch(/^disabled by its configuration \(\d+\): .*guest-exec/mu);
			expect(caps.ok && caps.value).toMatchObject({methods: [...allowedQgaCommands].sort(), version: real.version});

			const file = path.join(temp.dir, `small-${protocol}.txt`);
			writeFileSync(file, 'hello qga\n');
			expect(await monitor.execute(`agent_viewfile ${file}`)).toMatchObject({
				ok: true,
				text: 'hello qga\n',
				value: {path: file, size: 10, text: 'hello qga\n'},
			});

			const dmesg = await monitor.execute('agent_viewdmesg');
			expect(dmesg).toMatchObject({ok: false, error: {class: 'VirtagentFailed', data: {code: 'ENOSYS'}}});
			expect(dmesg.text).toBe('error: VirtagentFailed (ENOSYS): agent_viewdmesg needs guest-exec, which is disabled in this qemu-ga');

			const big = randomBytes(5 * 1024 * 1024 + 3);
			const source = path.join(temp.dir, `big-${protocol}.bin`);
			writeFileSync(source, big);
			const target = path.join(temp.dir, `copy-${protocol}.bin`);
			const copy = await monitor.execute(`timeout 60 agent_getfile ${source} ${target}`);
			expect(copy.ok, copy.text).toBe(true);
			expect(readFileSync(target).equals(big)).toBe(true);
			expect(copy.ok && copy.value).toEqual({
				path: target,
				bytes: big.length,
				sha256: createHash('sha256').update(big).digest('hex'),
				seconds: expect.any(Number),
			});
			expect(copy.text).toContain('could not check whether the file changed during the copy (qemu-ga reports no size or mtime)');
			// Every handle was closed: the next one qemu-ga gives out is the only one open.
			const open = await monitor.execute(`qga guest-file-open {"path": "${file}", "mode": "r"}`);
			expect(open.ok).toBe(true);
			const handle = open.ok ? (open.value as number) : -1;
			expect(await monitor.execute(`qga guest-file-read {"handle": ${handle - 1}}`)).toMatchObject({
				ok: false,
				error: {class: 'GenericError', desc: `handle '${handle - 1}' has not been found`},
			});
			expect(await monitor.execute(`qga guest-file-close {"handle": ${handle}}`)).toMatchObject({ok: true, text: 'ok', value: {}});
		}, 30_000);
	}

	it('every error class: a fault from qemu-ga, a command it disabled (refused before sending), a bad line, a missing file', async () => {
		const {monitor} = await session(real.path, 'qga');
		const missing = path.join(temp.dir, 'no-such-file');
		const view = await monitor.execute(`agent_viewfile ${missing}`);
		expect(view).toMatchObject({ok: false, error: {class: 'RPCFailed', data: {code: -500}}});
		expect(view.text).toBe(`error: RPCFailed (fault -500): agent_viewfile ${missing}: failed to open file '${missing}' (mode: 'r'): No such file or directory`);

		// Never sent to this machine's qemu-ga: the gate knows guest-shutdown is disabled.
		const shutdown = await monitor.execute('agent_shutdown powerdown');
		expect(shutdown.text).toBe(
			'error: VirtagentFailed (ENOSYS): agent_shutdown powerdown: guest-shutdown is disabled in this qemu-ga (guest-info lists it as disabled) (see agent_capabilities)',
		);

		// The qga command passes qemu-ga's answer on, QMP-shaped with its own class.
		expect(await monitor.execute('qga guest-get-users')).toMatchObject({
			ok: false,
			error: {class: 'CommandNotFound', desc: 'Command guest-get-users has been disabled'},
			text: 'error: CommandNotFound: Command guest-get-users has been disabled',
		});
		expect(await monitor.execute('qga guest-nonexistent')).toMatchObject({ok: false, error: {class: 'CommandNotFound'}});
		expect(await monitor.execute('qga guest-sync {"id": "not an int"}')).toMatchObject({
			ok: false,
			error: {class: 'GenericError', desc: "Invalid parameter type for 'id', expected: integer"},
		});
		expect(await monitor.execute('qga guest-ping [1]')).toMatchObject({ok: false, error: {class: 'InvalidParameter'}});
		expect(await monitor.execute('qga guest-ping {"a": ')).toMatchObject({ok: false, error: {class: 'InvalidParameter'}});
		const osinfo = await monitor.execute('qga guest-get-osinfo');
		expect(osinfo.ok, osinfo.text).toBe(true);
		expect(osinfo.text.split('\n')[0]).toBe('{');
		expect(osinfo.ok && osinfo.value).toMatchObject({'kernel-release': expect.any(String)});
		expect(await monitor.execute('qga guest-sync {"id": 12345}')).toMatchObject({ok: true, value: 12345, text: '12345'});
		// After all that the stream is still in step.
		expect(await monitor.execute('agent_ping')).toMatchObject({ok: true});
		expect(monitor.complete('qga guest-file-')).toEqual(['guest-file-close', 'guest-file-open', 'guest-file-read']);
		expect(monitor.complete('qga guest-ex')).toEqual([]);
		const info = await monitor.execute('info agent');
		expect(info.text).toMatch(/^protocol: qemu-ga$/mu);
		expect(info.text).toMatch(/^disabled: \d+: .*guest-shutdown/mu);
	}, 30_000);

	it('auto: decides at the first probe, says so in the log, and a virtagent guest on another socket is told apart', async () => {
		const {monitor, events} = await session(real.path, 'auto');
		await monitor.waitForGuest(3000);
		expect(monitor.status.protocol).toBe('qga');
		const detecting = events.flatMap(event =>
			event.type === 'status' && event.status.connection.state === 'detecting' ? [event.status.connection.probes] : [],
		);
		// Answered before a third probe was due (0.25 s + 0.5 s after the first).
		expect(Math.max(...detecting)).toBeLessThanOrEqual(2);
		expect(logs(events).some(line => /the guest speaks qemu-ga \(guest-sync-delimited answered, \d+ms\)/u.test(line))).toBe(true);

		for (const hello of [true, false]) {
			const guestPath = path.join(temp.dir, `virtagent-${hello}.sock`);
			const guest = await startFakeGuest({socketPath: guestPath, hello});
			cleanups.push(async () => guest.close());
			const other = await session(guestPath, 'auto');
			expect(await other.monitor.execute('agent_ping')).toMatchObject({ok: true});
			expect(other.monitor.status.protocol).toBe('virtagent');
			const evidence = hello ? 'a virtagent request (va.hello)' : 'a virtagent answer to va.ping';
			expect(logs(other.events).some(line => line.includes(`the guest speaks virtagent (${evidence}`))).toBe(true);
			// The va.ping probe's answer was taken by the probe, not left for the engine.
			expect(logs(other.events).filter(line => line.includes('unknown tag'))).toEqual([]);
		}
	}, 30_000);

	it('auto: a guest that says nothing yet shows "detecting", is probed again with back-off, and is found once qemu-ga answers', async () => {
		// A booting VM: the socket is there, qemu-ga is not yet; later the bytes reach the real one.
		const bootPath = path.join(temp.dir, 'booting.sock');
		let relay: net.Socket | undefined;
		let booted = false;
		const held: Buffer[] = [];
		const server = net.createServer(socket => {
			socket.on('data', chunk => {
				if (relay) {
					relay.write(chunk);
				} else {
					held.push(chunk);
				}
			});
			socket.on('error', () => undefined);
			cleanups.push(() => {
				socket.destroy();
			});
			const boot = () => {
				relay = net.connect(real.path);
				relay.on('error', () => undefined);
				relay.pipe(socket);
				for (const chunk of held.splice(0)) {
					relay.write(chunk);
				}

				cleanups.push(() => {
					relay?.destroy();
				});
			};

			const wait = setInterval(() => {
				if (booted) {
					clearInterval(wait);
					boot();
				}
			}, 10);
			cleanups.push(() => clearInterval(wait));
		});
		await new Promise<void>(resolve => server.listen(bootPath, resolve));
		cleanups.push(async () => new Promise<void>(resolve => server.close(() => resolve())));

		const {monitor} = await session(bootPath, 'auto', {waitForGuest: false, probeMinMs: 50, probeMaxMs: 200});
		await waitFor(() => monitor.status.connection.state === 'detecting' && monitor.status.connection.probes >= 4, 5000, 'four probes');
		expect(monitor.status.protocol).toBeUndefined();
		const ping = await monitor.execute('agent_ping');
		expect(ping).toMatchObject({ok: false, error: {data: {code: 'ENOTCONN'}}});
		expect(ping.text).toContain('detecting the guest agent: no answer to');
		expect(ping.text).toContain('(a guest still booting, or qemu-ga held by another client)');

		booted = true;
		await waitFor(() => monitor.status.guest.methods !== undefined, 5000, 'negotiation after boot');
		expect(monitor.status.protocol).toBe('qga');
		expect(await monitor.execute('agent_ping')).toMatchObject({ok: true});
	}, 30_000);

	it('a qemu-ga that is killed and restarted: the monitor reconnects, detects it again and works', async () => {
		const dir = tempDir('va-qga-restart-');
		cleanups.push(dir.remove);
		let own = await startRealQemuGa(dir.dir);
		cleanups.push(async () => own.stop());
		// The monitor dials through this door, shut while qemu-ga restarts: the harness checks the
		// new one's block list over its own connection first, and qemu-ga serves one at a time.
		let open = true;
		const doorPath = path.join(dir.dir, 'door.sock');
		const door = net.createServer(socket => {
			socket.on('error', () => undefined);
			if (!open) {
				socket.destroy();
				return;
			}

			const inner = net.connect(own.path);
			inner.on('error', () => socket.destroy());
			socket.on('close', () => inner.destroy());
			inner.on('close', () => socket.destroy());
			socket.pipe(inner).pipe(socket);
		});
		await new Promise<void>(resolve => door.listen(doorPath, resolve));
		cleanups.push(async () => new Promise<void>(resolve => door.close(() => resolve())));
		const {monitor} = await session(doorPath, 'auto', {waitForGuest: true});
		expect(await monitor.execute('agent_ping')).toMatchObject({ok: true});
		open = false;
		await own.kill();
		await waitFor(() => monitor.status.connection.state === 'retrying', 5000, 'the monitor to notice');
		expect(monitor.status.protocol).toBeUndefined();
		own = await own.restart();
		open = true;
		await waitFor(() => monitor.status.guest.methods !== undefined, 10_000, 'renegotiation');
		expect(monitor.status.protocol).toBe('qga');
		expect(await monitor.execute('agent_ping')).toMatchObject({ok: true});
	}, 40_000);

	it("auto over every endpoint kind: --listen, --tcp, --tcp-listen (a relay plays QEMU's chardev)", async () => {
		const freePort = async () =>
			new Promise<number>(resolve => {
				const probe = net.createServer().listen(0, '127.0.0.1', () => {
					const {port} = probe.address() as net.AddressInfo;
					probe.close(() => resolve(port));
				});
			});
		const relay = (socket: net.Socket) => {
			const agent = net.connect(real.path);
			for (const end of [socket, agent]) {
				end.on('error', () => undefined);
			}

			socket.on('close', () => agent.destroy());
			agent.on('close', () => socket.destroy());
			socket.pipe(agent).pipe(socket);
			return socket;
		};

		const kinds: Array<{name: string; target: SessionOptions['target']; dial?: () => net.Socket; serve?: net.Server}> = [];
		const listenPath = path.join(temp.dir, 'monitor-listen.sock');
		kinds.push({name: '--listen', target: {mode: 'listen', endpoint: {kind: 'unix', path: listenPath}}, dial: () => relay(net.connect(listenPath))});
		const tcpPort = await freePort();
		const server = net.createServer(socket => relay(socket));
		await new Promise<void>(resolve => server.listen(tcpPort, '127.0.0.1', resolve));
		kinds.push({name: '--tcp', target: {mode: 'connect', endpoint: {kind: 'tcp', host: '127.0.0.1', port: tcpPort}}, serve: server});
		const listenPort = await freePort();
		kinds.push({
			name: '--tcp-listen',
			target: {mode: 'listen', endpoint: {kind: 'tcp', host: '127.0.0.1', port: listenPort}},
			dial: () => relay(net.connect(listenPort, '127.0.0.1')),
		});

		for (const kind of kinds) {
			const {monitor} = await session(real.path, 'auto', {target: kind.target});
			const dialled = kind.dial?.();
			const ping = await monitor.execute('agent_ping');
			expect(ping, `${kind.name}: ${ping.text}`).toMatchObject({ok: true});
			expect(monitor.status.protocol, kind.name).toBe('qga');
			// qemu-ga serves one client at a time: this one leaves before the next kind.
			await monitor.close();
			dialled?.destroy();
			kind.serve?.close();
		}
	}, 30_000);

	it('held by another client: --protocol qga says so within the timeout; auto keeps detecting', async () => {
		const dir = tempDir('va-qga-held-');
		cleanups.push(dir.remove);
		const own = await startRealQemuGa(dir.dir);
		cleanups.push(async () => own.stop());
		// libvirtd's place: the first client, connected and in step.
		const holder = net.connect(own.path);
		cleanups.push(() => {
			holder.destroy();
		});
		await new Promise<void>(resolve => {
			holder.once('data', () => resolve());
			holder.write('{"execute":"guest-ping"}\n');
		});

		const {monitor} = await session(own.path, 'qga', {timeoutMs: 1000});
		const ping = await monitor.execute('agent_ping');
		expect(ping).toMatchObject({ok: false, error: {data: {code: 'ETIMEDOUT'}}});
		expect(ping.text).toContain('the agent is held by another client (qemu-ga serves one at a time) or is not running');
		await monitor.close(); // it waits in qemu-ga's line too: out of the way of the next one

		const auto = await session(own.path, 'auto', {timeoutMs: 1000, probeMinMs: 50, probeMaxMs: 100});
		await waitFor(() => auto.monitor.status.connection.state === 'detecting' && auto.monitor.status.connection.probes >= 3, 5000, 'probes');
		expect(auto.monitor.status.protocol).toBeUndefined();
		// Once the holder lets go, the queued probes are answered.
		holder.destroy();
		await waitFor(() => auto.monitor.status.protocol === 'qga', 5000, 'detection after release');
	}, 30_000);

	it("virtagent monitor -c … --json (default --protocol auto): QMP-shaped lines, qemu-ga's own return and error", async () => {
		const file = path.join(temp.dir, 'cli.txt');
		writeFileSync(file, 'from the cli\n');
		const run = await runCli([
			'monitor',
			'--connect',
			real.path,
			'--json',
			'-c',
			`agent_ping; qga guest-sync {"id": 77}; qga guest-get-users; agent_viewfile ${file}; info agent`,
		]);
		const lines = run.stdout
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as Record<string, unknown>);
		expect(lines[0]).toEqual({id: 1, command: 'agent_ping', return: {}});
		expect(lines[1]).toEqual({id: 2, command: 'qga guest-sync {"id": 77}', return: 77});
		expect(lines[2]).toEqual({id: 3, command: 'qga guest-get-users', error: {class: 'CommandNotFound', desc: 'Command guest-get-users has been disabled'}});
		expect(lines[3]).toMatchObject({return: {path: file, text: 'from the cli\n'}});
		expect(lines[4]).toMatchObject({return: {protocol: 'qga', connection: {state: 'connected'}, version: real.version}});
		expect(run.code).toBe(1);
		const bad = await runCli(['monitor', '--connect', real.path, '--protocol', 'qmp']);
		expect(bad).toMatchObject({code: 2, stderr: "virtagent monitor: invalid --protocol 'qmp' (virtagent, qga or auto) (try --help)\n"});
	}, 30_000);
});
