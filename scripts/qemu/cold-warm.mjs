#!/usr/bin/env node
// Cold against warm starts of the guest executable inside ONE e2e-like guest (TCG), on the host's
// clock: boots QEMU (boot.sh) with scripts/qemu/guest-cold-warm.sh as the guest command, answers
// every va.hello that reaches the port, and prints each step's launch -> hello (daemon steps) and
// the guest's own figures (wall, CPU, page faults).
//   node scripts/qemu/cold-warm.mjs [ORDER]     ORDER: comma list of version|daemon (default
//                                               version,version,daemon,daemon,daemon)
// Needs `npm run build` and `npm run build:guest` (VA_GUEST_EXE: another build). Diagnostic only:
// the e2e's boot-to-hello (e2e.sh) is the figure that counts; this splits it into the part that a
// second start in the same guest no longer pays (first execution under TCG) and the rest.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {watchConsole} from '../../test/e2e/boot-timeline.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const exe = path.resolve(process.env.VA_GUEST_EXE ?? path.join(repo, 'dist/virtagent-guest'));
const order = process.argv[2] ?? 'version,version,daemon,daemon,daemon';
const {Agent} = await import(path.join(repo, 'dist/src/engine/agent.js'));
const {MethodRegistry} = await import(path.join(repo, 'dist/src/engine/registry.js'));
const {socketChannel} = await import(path.join(repo, 'dist/src/transport/socket-channel.js'));

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'va-cold-'));
const sock = path.join(work, 'va.sock');
const consolePath = path.join(work, 'console.log');
const t0 = Date.now();
const hellos = [];
const registry = new MethodRegistry().register('va.hello', 'A guest is up.', () => {
	hellos.push(Date.now() - t0);
	return 'dummy';
});
const host = new Agent({name: 'cold-warm', registry});
const timeline = watchConsole(consolePath, t0, 5);
const boot = spawn(
	'bash',
	[
		path.join(repo, 'scripts/qemu/boot.sh'),
		'--exe',
		exe,
		'--cmd',
		`sh ${path.join(repo, 'scripts/qemu/guest-cold-warm.sh')}`,
		'--sock',
		sock,
		'--console',
		consolePath,
		'--append',
		`va_order=${order}`,
	],
	{stdio: ['ignore', 'pipe', 'inherit']},
);
let out = '';
boot.stdout.on('data', chunk => (out += chunk));
await new Promise(resolve => boot.once('exit', resolve));
const qemuPid = Number(/QEMU_PID=(\d+)/.exec(out)?.[1]);
if (!qemuPid) throw new Error(`boot.sh failed: ${out}`);
/**
 * QEMU's CPU time (all its threads, ns) sampled every 5 ms: the work done between two moments,
 * which the host's load changes far less than it changes the wall-clock time (this 2-core
 * machine is shared; under load QEMU waits for a core).
 */
const cpuSamples = [];
const qemuCpuNs = () => {
	let total = 0;
	for (const task of fs.readdirSync(`/proc/${qemuPid}/task`)) {
		total += Number(fs.readFileSync(`/proc/${qemuPid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
	}

	return total;
};

const sampler = setInterval(() => {
	try {
		cpuSamples.push({ms: Date.now() - t0, ns: qemuCpuNs()});
	} catch {
		clearInterval(sampler);
	}
}, 5);
const cpuAt = ms => cpuSamples.find(sample => sample.ms >= ms)?.ns ?? Number.NaN;
const socket = net.connect(sock);
await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
host.attach(socketChannel(socket, 'cold-warm'));
const deadline = Date.now() + 240_000;
while (!timeline.first(/^VA-COLD end/) && Date.now() < deadline) {
	try {
		process.kill(qemuPid, 0);
	} catch {
		break;
	}
	await new Promise(resolve => setTimeout(resolve, 100));
}
timeline.stop();
clearInterval(sampler);
try {
	process.kill(qemuPid, 'SIGTERM');
} catch {
	// Already gone (the guest powers off at its end).
}
socket.destroy();
host.close();
const load = os
	.loadavg()
	.map(value => value.toFixed(2))
	.join(' ');
const rows = [];
for (const line of timeline.lines) {
	const launch = /^VA-COLD launch (\d+) (\w+)/.exec(line.text);
	if (launch) rows[launch[1]] = {step: launch[2], launchMs: line.ms};
	const done = /^VA-COLD (done|exited) (\d+) \w+ (.*)/.exec(line.text);
	if (done) rows[done[2]].figures = done[1] === 'exited' ? `EXITED before its figures, ${done[3]} (the console says why)` : done[3];
}
for (const [n, row] of rows.entries()) {
	if (!row) continue;
	const hello = row.step === 'daemon' ? hellos.find(ms => ms > row.launchMs) : undefined;
	const qemuCpuMs = Math.round((cpuAt(hello) - cpuAt(row.launchMs)) / 1e6);
	const toHello = hello === undefined ? '' : ` launch->hello ${hello - row.launchMs} ms (QEMU CPU ${qemuCpuMs} ms);`;
	console.log(`${n} ${row.step}:${toHello} ${row.figures ?? ''}`);
}
console.log(`host load ${load}; console ${consolePath}`);
if (process.env.VA_COLD_TIMELINE) for (const line of timeline.lines) console.log(`${String(line.ms).padStart(7)} ${line.text}`);
