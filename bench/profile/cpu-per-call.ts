/**
 * `node dist/bench/profile/cpu-per-call.js [CALLS]`: CPU time (user + system) per round trip
 * on each side, host (this process) and guest (a child), for the raw echo, the stand-in guest
 * and qemu-ga. Says whether a gap between two rates is work done or time spent waiting.
 */
import {readFileSync} from 'node:fs';
import {scratch} from '../lib/context.js';
import {benchModule} from '../lib/paths.js';
import {startChild, waitForLine} from '../lib/process.js';
import {pingFrameSizes} from '../lib/sizes.js';
import {connectEchoClient} from '../peers/echo.js';
import {startGuestDaemon} from '../peers/guest-daemon.js';
import {findQemuGa, startQemuGa} from '../peers/qemu-ga.js';
import {startStandIn} from '../peers/stand-in.js';

const calls = Number(process.argv[2] ?? 20_000);
const ticksPerSecond = 100; // USER_HZ on Linux

function childCpuMicros(pid: number): number {
	const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
	return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond;
}

async function measure(name: string, pid: number, call: () => Promise<unknown>): Promise<void> {
	for (let i = 0; i < 2000; i++) {
		await call();
	}

	const hostBefore = process.cpuUsage();
	const guestBefore = childCpuMicros(pid);
	const start = performance.now();
	for (let i = 0; i < calls; i++) {
		await call();
	}

	const seconds = (performance.now() - start) / 1000;
	const host = process.cpuUsage(hostBefore);
	const guest = childCpuMicros(pid) - guestBefore;
	console.log(
		`${name.padEnd(28)} ${Math.round(calls / seconds)
			.toString()
			.padStart(
				7,
			)} calls/s   host ${((host.user + host.system) / calls).toFixed(1).padStart(5)} us/call   guest ${(guest / calls).toFixed(1).padStart(5)} us/call   wall ${((seconds * 1e6) / calls).toFixed(1)} us/call`,
	);
}

const work = scratch('cpu');
const sizes = pingFrameSizes();
const echoChild = startChild(process.execPath, [benchModule('peers/echo-main.js'), work.file('echo.sock'), String(sizes.request), String(sizes.reply)]);
await waitForLine(echoChild, /^ready$/);
const echo = await connectEchoClient(work.file('echo.sock'), sizes);
const standIn = await startStandIn(work.file('stand-in.sock'));
const daemon = await startGuestDaemon(work.file('guest.sock'));
await measure('raw echo (child)', echoChild.pid, async () => echo.roundTrip());
await measure('va.ping, stand-in guest', standIn.child.pid, async () => standIn.host.call('va.ping'));
await measure('va.ping, guest daemon', daemon.child.pid, async () => daemon.host.call('va.ping'));
const qemuGa = findQemuGa();
if (qemuGa) {
	const peer = await startQemuGa(qemuGa, work.dir);
	await measure('qemu-ga guest-ping', peer.pid, async () => peer.client.execute('guest-ping'));
	await peer.stop();
}

echo.close();
await echoChild.stop();
await standIn.stop();
await daemon.stop();
work.remove();
