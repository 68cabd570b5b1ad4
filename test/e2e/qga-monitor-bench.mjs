// The monitor's agent_ping through qemu-ga's real virtio-serial port (org.qemu.guest_agent.0) in
// the e2e guest, right after the bare client's guest-ping on the same port (qga-bench.mjs): the
// shell's overhead where an operator meets it, beside the bench's figure against a host-local
// qemu-ga (npm run bench, case 7), whose round trip is ~50x shorter than a VM port's.
// Module: await compareMonitorWithBare(socketPath, {blocks, count, warmup}) -> JSON-able result.
import {allCommands} from '../../dist/commands/index.js';
import {openSession} from '../../dist/src/monitor/open-session.js';
import {connectUnix, LineClient} from '../../scripts/qemu/echo-bench.mjs';
import {timeRoundTrips} from './ping-bench.mjs';

/**
 * The bare client: guest-ping with an id, as the monitor sends it, and the reply's id checked
 * (the least a client does that never takes a stale reply for a new one). Under emulation
 * qemu-ga's parse and echo of the id cost it measurably: both contenders pay it alike.
 */
async function bareIdBench(socketPath, {count, warmup, timeoutMs = 30_000}) {
	const client = new LineClient(await connectUnix(socketPath, 10_000));
	let key = 0;
	const ping = async () => {
		const id = `b${++key}`;
		client.send(`{"execute":"guest-ping","id":"${id}"}`);
		const answer = (await client.next(timeoutMs)).toString();
		if (answer !== `{"return": {}, "id": "${id}"}`) throw new Error(`qemu-ga answered guest-ping with ${JSON.stringify(answer.slice(0, 200))}`);
	};

	try {
		for (let i = 0; i < warmup; i++) await ping();
		return await timeRoundTrips(ping, count);
	} finally {
		client.close();
	}
}

/**
 * The bare client and the monitor in turns, `blocks` blocks of `count` pings each (qemu-ga's port
 * takes one client at a time, so each block connects anew): both meet the same moments of a
 * guest whose speed swings with the host's load. The ratio is of the summed times. One untimed
 * block of each goes first: the monitor runs far more JavaScript per ping than the bare client,
 * and V8 optimizes it only after a few hundred pings (its first block measured up to 2x its
 * later ones), so without it the figure is mostly the JIT's warm-up, as the bench's warm-up
 * round keeps it out of case 7.
 */
export async function compareMonitorWithBare(socketPath, {blocks = 4, count = 500, warmup = 100} = {}) {
	await bareIdBench(socketPath, {count, warmup});
	await monitorPingBench(socketPath, {count, warmup});
	const seconds = {bare: 0, monitor: 0};
	const p50 = {bare: [], monitor: []};
	for (let block = 0; block < blocks; block++) {
		const bare = await bareIdBench(socketPath, {count, warmup});
		seconds.bare += bare.seconds;
		p50.bare.push(bare.latencyUs.p50);

		const result = await monitorPingBench(socketPath, {count, warmup});
		seconds.monitor += result.seconds;
		p50.monitor.push(result.latencyUs.p50);
	}

	const rate = s => Math.round((blocks * count) / s);
	const median = values => [...values].sort((a, b) => a - b)[values.length >> 1];
	return {
		blocks,
		count,
		bareRoundTripsPerSec: rate(seconds.bare),
		monitorRoundTripsPerSec: rate(seconds.monitor),
		ratio: Math.round((seconds.bare / seconds.monitor) * 1000) / 1000,
		// A few long stalls of a TCG guest on a loaded host move a block's mean; its median much less.
		p50Ratio: Math.round((median(p50.bare) / median(p50.monitor)) * 1000) / 1000,
		p50Us: p50,
	};
}

export async function monitorPingBench(socketPath, {count = 3000, warmup = 1000, timeoutMs = 30_000} = {}) {
	// --protocol qga, as the bench's case 7: the same session, commands and wire as the shell.
	const session = await openSession({
		commands: allCommands,
		target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}},
		protocol: 'qga',
		timeoutMs,
		waitForGuest: true,
	});
	try {
		// QEMU's chardev takes the next client once the bare one has gone: the guest-info handshake first.
		await session.waitForGuest(timeoutMs);
		const ping = async () => {
			const outcome = await session.execute('agent_ping');
			if (!outcome.ok) throw new Error(`agent_ping: ${outcome.text}`);
		};
		for (let i = 0; i < warmup; i++) await ping();
		return {command: 'agent_ping', count, warmup, ...(await timeRoundTrips(ping, count))};
	} finally {
		await session.close();
	}
}
