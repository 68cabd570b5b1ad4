#!/usr/bin/env node
// The guest executable installed as docs/guest.md tells an operator, in a Debian guest with
// systemd and udev (scripts/qemu/systemd-rootfs.sh builds it; TCG, one vCPU), then:
//   1. boot with the port: systemd starts the daemon (enabled for multi-user.target); the host
//      has its va.hello, and va.ping and va.capabilities answer. Debian's qemu-guest-agent is in
//      the same guest on its own port, started by its package's udev rule and unit: boot-to-hello
//      against boot-to-qemu-ga-answering in a real service manager's boot (issue #14's goal);
//   2. the port unplugged (QMP device_del): BindsTo stops the daemon, as the console shows;
//   3. a port plugged into the running guest (chardev-add, device_add): the unit is wanted by the
//      port's device, so systemd starts the daemon again; hello, va.ping;
//   4. the daemon's log reached the journal (forwarded to the console, one line per RPC);
//   5. a second boot of the same image with nothing installed and contrib/cloud-init.yaml as its
//      NoCloud user-data (URL and SHA256 filled in as its comment says; the URL a file:// one,
//      as the guest has no network): cloud-init fetches and checks the executable, writes and
//      enables the unit, and the host has the daemon's hello and a va.ping answer.
// Prints one JSON line (figures) on stdout, progress on stderr; exits non-zero on any failure.
//   npm run e2e:systemd        (= npm run build:guest, setup.sh, then this script)
// Needs root (debootstrap, once), scripts/qemu/setup.sh's kernel and QEMU, npm run build.
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {watchConsole} from '../../test/e2e/boot-timeline.mjs';
import {qmpConnect} from './qmp.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const {Agent} = await import(path.join(repo, 'dist/src/engine/agent.js'));
const {hostRegistry} = await import(path.join(repo, 'dist/src/monitor/host-rpcs.js'));
const {connectEndpoint} = await import(path.join(repo, 'dist/src/transport/endpoint.js'));
const {startQgaClient} = await import(path.join(repo, 'test/e2e/qga-bench.mjs'));

const exe = path.resolve(process.env.VA_GUEST_EXE ?? path.join(repo, 'dist/virtagent-guest'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'va-systemd-'));
const kernelDir = fs.realpathSync(path.join(repo, '.qemu-cache/kernel/current'));
const log = message => process.stderr.write(`[systemd-e2e ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

class StepError extends Error {}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** What `get` gives once it gives something, polled every `everyMs`; after `timeoutMs`, a StepError saying `failure`. */
async function pollFor(get, timeoutMs, failure, everyMs = 50) {
	for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(everyMs)) {
		const value = get();
		if (value !== undefined) return value;
	}

	throw new StepError(failure);
}

/** A host agent on a port's socket: resolves each hello's time; call() for RPCs. */
async function hostOn(socketPath) {
	const hellos = [];
	const agent = new Agent({name: 'host', registry: hostRegistry(), callTimeoutMs: 60_000});
	agent.subscribe(event => {
		if (event.type === 'job' && event.side === 'server' && event.from === null && event.method === 'va.hello') hellos.push(Date.now());
	});
	for (let tries = 0; ; tries++) {
		try {
			agent.attach(await connectEndpoint({kind: 'unix', path: socketPath}));
			break;
		} catch (error) {
			if (tries > 200) throw error;
			await sleep(50);
		}
	}

	const hello = async timeoutMs => pollFor(() => hellos[0], timeoutMs, `no va.hello on ${path.basename(socketPath)} within ${timeoutMs / 1000} s`, 20);

	return {hello, call: (method, params = []) => agent.call(method, params), close: () => agent.close()};
}

async function until(timeline, pattern, timeoutMs, what) {
	return pollFor(() => timeline.first(pattern), timeoutMs, `the console never showed ${what} within ${timeoutMs / 1000} s`);
}

/** The image with the executable put in `how` (systemd-rootfs.sh), booted; its console on one clock. */
function bootGuest(name, how) {
	const initrd = path.join(work, `${name}.cpio`);
	log(`${name}: the Debian guest with the executable (${how})`);
	execFileSync('bash', [path.join(repo, 'scripts/qemu/systemd-rootfs.sh'), initrd, exe, how], {stdio: ['ignore', 'ignore', 'inherit']});
	const file = suffix => path.join(work, `${name}-${suffix}`);
	const guest = {port: file('port.sock'), qgaPort: file('qga.sock'), qmp: file('qmp.sock'), console: file('console.log'), t0: Date.now()};
	const machine = ['-machine', 'q35', '-accel', process.env.VA_QEMU_ACCEL ?? 'tcg', '-m', '1536', '-smp', '1', '-nodefaults', '-display', 'none', '-no-reboot'];
	const qemu = spawn(
		'qemu-system-x86_64',
		[
			...machine,
			...['-nic', 'none', '-serial', `file:${guest.console}`, '-kernel', path.join(kernelDir, 'vmlinux'), '-initrd', initrd],
			// systemd as the first process of the unpacked image; its status lines and the journal on the console.
			// The installed boots tell cloud-init's generator to stay off, as a guest without it.
			...[
				'-append',
				`console=ttyS0 rdinit=/lib/systemd/systemd systemd.show_status=1 systemd.journald.forward_to_console=1 panic=-1${how === 'cloud-init' ? '' : ' cloud-init=disabled'}`,
			],
			...['-device', 'virtio-rng-pci', '-device', 'virtio-serial-pci,id=vser0'],
			...[
				'-chardev',
				`socket,id=va1,path=${guest.port},server=on,wait=off`,
				'-device',
				'virtserialport,id=port1,bus=vser0.0,chardev=va1,name=org.qemu.virtagent',
			],
			...[
				'-chardev',
				`socket,id=qga,path=${guest.qgaPort},server=on,wait=off`,
				'-device',
				'virtserialport,bus=vser0.0,chardev=qga,name=org.qemu.guest_agent.0',
			],
			...['-qmp', `unix:${guest.qmp},server=on,wait=off`],
		],
		{stdio: ['ignore', 'ignore', 'pipe']},
	);
	let stderr = '';
	qemu.stderr.on('data', chunk => (stderr += chunk));
	const timeline = watchConsole(guest.console, guest.t0);
	return {
		...guest,
		timeline,
		stop() {
			timeline.stop();
			qemu.kill();
		},
		report: () =>
			`----- ${name}: console (${guest.console}) -----\n${timeline.lines
				.slice(-60)
				.map(line => `${String(line.ms).padStart(7)} ${line.text}`)
				.join('\n')}\n${stderr}`,
	};
}

const figures = {installed: {}, cloudInit: {}};
let guest;
let failed;
try {
	// 1. Boot: the unit enabled for multi-user.target; qemu-ga beside it.
	guest = bootGuest('installed', 'installed');
	const {timeline, t0} = guest;
	const f = figures.installed;
	const qga = await startQgaClient(guest.qgaPort, {bootTimeoutMs: 240_000});
	const boot = await hostOn(guest.port);
	f.bootToHelloMs = (await boot.hello(240_000)) - t0;
	f.bootToQgaAnswerMs = (await qga.firstAnswerAt) - t0;
	f.helloAfterQgaMs = f.bootToHelloMs - f.bootToQgaAnswerMs;
	qga.close();
	f.bootToUnitStartedMs = await until(timeline, /Started .*virtagent guest daemon/, 30_000, "systemd's 'Started' line for the unit");
	if ((await boot.call('va.ping')) !== 'dummy') throw new StepError('va.ping did not answer "dummy"');
	const capabilities = await boot.call('va.capabilities');
	if (!JSON.stringify(capabilities).includes('va.getfile')) throw new StepError(`va.capabilities lacks va.getfile: ${JSON.stringify(capabilities)}`);
	log(`installed: hello ${f.bootToHelloMs} ms after QEMU started, ${f.helloAfterQgaMs} ms after qemu-ga's first answer; va.ping, va.capabilities answered`);

	// 2. The port unplugged: BindsTo stops the daemon.
	const qmp = await qmpConnect(guest.qmp);
	await qmp.execute('device_del', {id: 'port1'});
	await qmp.waitEvent('DEVICE_DELETED', 30_000);
	const unpluggedAt = Date.now() - t0;
	f.unplugToStoppedMs = (await until(timeline, /Stopped .*virtagent guest daemon/, 60_000, "systemd's 'Stopped' line after the unplug")) - unpluggedAt;
	boot.close();
	await qmp.execute('chardev-remove', {id: 'va1'});
	log(`unplugged: systemd stopped the daemon ${f.unplugToStoppedMs} ms after QEMU removed the port`);

	// 3. A port plugged into the running guest: the device's wants start the daemon.
	const secondPort = path.join(work, 'installed-port-2.sock');
	await qmp.execute('chardev-add', {id: 'va2', backend: {type: 'socket', data: {addr: {type: 'unix', data: {path: secondPort}}, server: true, wait: false}}});
	const pluggedAt = Date.now();
	await qmp.execute('device_add', {driver: 'virtserialport', id: 'port2', bus: 'vser0.0', chardev: 'va2', name: 'org.qemu.virtagent'});
	const plugged = await hostOn(secondPort);
	f.plugToHelloMs = (await plugged.hello(60_000)) - pluggedAt;
	if ((await plugged.call('va.ping')) !== 'dummy') throw new StepError('va.ping after the hot-plug did not answer "dummy"');
	log(`hot-plugged: hello ${f.plugToHelloMs} ms after device_add; va.ping answered`);

	// 4. The daemon's lines in the journal (forwarded to the console by journald).
	await until(timeline, /virtagent-guest\[\d+\]: .*va\.ping/, 20_000, "the daemon's journal line for va.ping");
	f.starts = timeline.lines.filter(line => /Started .*virtagent guest daemon/.test(line.text)).length;
	if (f.starts !== 2) throw new StepError(`systemd started the unit ${f.starts} times, expected 2`);
	plugged.close();
	qmp.close();
	guest.stop();

	// 5. Nothing installed: cloud-init does it from contrib/cloud-init.yaml.
	guest = bootGuest('cloud-init', 'cloud-init');
	const fresh = await hostOn(guest.port);
	figures.cloudInit.bootToHelloMs = (await fresh.hello(300_000)) - guest.t0;
	if ((await fresh.call('va.ping')) !== 'dummy') throw new StepError('va.ping after cloud-init did not answer "dummy"');
	figures.cloudInit.bootToUnitStartedMs = await until(guest.timeline, /Started .*virtagent guest daemon/, 30_000, "systemd's 'Started' line for the unit");
	log(`cloud-init: hello ${figures.cloudInit.bootToHelloMs} ms after QEMU started; va.ping answered`);
	fresh.close();
	guest.stop();
} catch (error) {
	failed = error;
	guest?.stop();
}

if (failed) {
	log(`FAILED: ${failed.message}`);
	process.stderr.write(guest?.report() ?? '');
	process.exitCode = 1;
} else {
	console.log(JSON.stringify({load: os.loadavg()[0], figures}));
	fs.rmSync(work, {recursive: true, force: true});
}
