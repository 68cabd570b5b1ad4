// qemu-ga's guest-ping through its own virtio-serial port (org.qemu.guest_agent.0) in the same
// guest as the daemon: the peer the daemon's va.ping is compared with (scripts/qemu/e2e.sh).
// Module: const qga = await startQgaClient(socketPath); await qga.firstAnswerAt (epoch ms of the
// first answer to a guest-ping sent at connect, i.e. while the guest boots); await qga.bench({count,
// warmup}) -> JSON-able result; qga.close().
import {connectUnix, LineClient} from '../../scripts/qemu/echo-bench.mjs';
import {timeRoundTrips} from './ping-bench.mjs';

const ping = '{"execute":"guest-ping"}';
const pong = '{"return": {}}';

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
			return {
				method: 'guest-ping',
				count,
				warmup,
				frameBytes: {request: ping.length + 1, response: pong.length + 1},
				...(await timeRoundTrips(() => request(timeoutMs), count)),
			};
		},
		close() {
			client.close();
		},
	};
}
