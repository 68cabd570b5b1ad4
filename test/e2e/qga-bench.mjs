// qemu-ga's guest-ping through its own virtio-serial port (org.qemu.guest_agent.0) in the same
// guest as the daemon: the peer the daemon's va.ping is compared with (scripts/qemu/e2e.sh).
// Module: const qga = await startQgaClient(socketPath); await qga.firstAnswerAt (epoch ms of the
// first answer to a guest-ping sent at connect, i.e. while the guest boots); await qga.bench({count,
// warmup}) -> JSON-able result; qga.close().
import {connectUnix, LineClient} from '../../scripts/qemu/echo-bench.mjs';

const ping = '{"execute":"guest-ping"}';
const pong = '{"return": {}}';
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round1 = x => Math.round(x * 10) / 10;

export async function startQgaClient(socketPath, {bootTimeoutMs = 150_000, timeoutMs = 30_000} = {}) {
	const client = new LineClient(await connectUnix(socketPath, 10_000));
	const request = async limitMs => {
		const answer = (await client.request(ping, limitMs)).toString();
		if (answer !== pong) throw new Error(`qemu-ga answered guest-ping with ${JSON.stringify(answer.slice(0, 200))}`);
	};

	// Sent at once: QEMU keeps it until qemu-ga opens the port, which answers it first thing.
	const firstAnswerAt = request(bootTimeoutMs).then(() => Date.now());
	firstAnswerAt.catch(() => undefined);
	return {
		firstAnswerAt,
		async bench({count = 3000, warmup = 1000} = {}) {
			await firstAnswerAt;
			for (let i = 0; i < warmup; i++) await request(timeoutMs);
			const latencies = new Float64Array(count);
			const t0 = process.hrtime.bigint();
			for (let i = 0; i < count; i++) {
				const start = process.hrtime.bigint();
				await request(timeoutMs);
				latencies[i] = Number(process.hrtime.bigint() - start) / 1000;
			}

			const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
			const sorted = Array.from(latencies).sort((a, b) => a - b);
			return {
				method: 'guest-ping',
				count,
				warmup,
				frameBytes: {request: ping.length + 1, response: pong.length + 1},
				seconds: Math.round(seconds * 1000) / 1000,
				roundTripsPerSec: Math.round(count / seconds),
				latencyUs: {p50: round1(percentile(sorted, 50)), p90: round1(percentile(sorted, 90)), p99: round1(percentile(sorted, 99)), max: round1(sorted.at(-1))},
			};
		},
		close() {
			client.close();
		},
	};
}
