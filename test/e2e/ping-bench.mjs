// Round trips of va.ping through the real port, one at a time, with the project's engine (host
// side): the figure the echo baseline of scripts/qemu/echo-bench.mjs is compared with.
// Module: pingBench(socketPath, {count, warmup, timeoutMs}) -> JSON-able result.
// CLI:    node test/e2e/ping-bench.mjs --socket PATH [--count 3000] [--warmup 1000]
// Needs dist/ (npm run build).
import {fileURLToPath} from 'node:url';
import {Agent} from '../../dist/src/engine/agent.js';
import {hostRegistry} from '../../dist/src/monitor/host-rpcs.js';
import {connectEndpoint} from '../../dist/src/transport/endpoint.js';
import {encodeCall, encodeResponse} from '../../dist/src/protocol/codec.js';
import {encodeFrame} from '../../dist/src/protocol/frame-encoder.js';

/** Bytes on the wire of one ping and its answer (the tag's length varies by a digit or two). */
export const pingFrameBytes = () => ({
	request: encodeFrame('request', '1000', encodeCall('va.ping', [])).length,
	response: encodeFrame('response', '1000', encodeResponse('dummy')).length,
});

/**
 * `count` round trips of `request` (an async function), one at a time: the rate and the latency
 * percentiles (µs). Shared with qga-bench.mjs, so that both peers are timed the same way.
 */
export async function timeRoundTrips(request, count) {
	const latencies = new Float64Array(count);
	const t0 = process.hrtime.bigint();
	for (let i = 0; i < count; i++) {
		const start = process.hrtime.bigint();
		await request();
		latencies[i] = Number(process.hrtime.bigint() - start) / 1000;
	}

	const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
	const sorted = Array.from(latencies).sort((a, b) => a - b);
	return {
		seconds: Math.round(seconds * 1000) / 1000,
		roundTripsPerSec: Math.round(count / seconds),
		latencyUs: {p50: round1(percentile(sorted, 50)), p90: round1(percentile(sorted, 90)), p99: round1(percentile(sorted, 99)), max: round1(sorted.at(-1))},
	};
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round1 = x => Math.round(x * 10) / 10;

/**
 * Connects a host agent (the host's own methods, so the guest's va.hello is answered), waits for
 * the guest's hello, warms up, then `count` pings one at a time; every answer must be "dummy".
 */
export async function pingBench(socketPath, {count = 3000, warmup = 1000, timeoutMs = 30_000} = {}) {
	let helloAt;
	let onHello = () => {};
	const agent = new Agent({name: 'host', registry: hostRegistry(), callTimeoutMs: timeoutMs});
	// The guest's va.hello, as the monitor's session sees it: a server job created for it.
	agent.subscribe(event => {
		if (event.type === 'job' && event.side === 'server' && event.from === null && event.method === 'va.hello') {
			helloAt ??= event.at;
			onHello();
		}
	});
	const connectedAt = Date.now();
	agent.attach(await connectEndpoint({kind: 'unix', path: socketPath}));
	try {
		const ping = async () => {
			const answer = await agent.call('va.ping', [], {timeoutMs});
			if (answer !== 'dummy') throw new Error(`va.ping answered ${JSON.stringify(answer)}`);
		};

		// The first bytes from the host start the guest's session: it then says hello.
		await ping();
		if (helloAt === undefined) {
			await new Promise((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error(`no va.hello within ${timeoutMs} ms of the first ping`)), timeoutMs);
				onHello = () => (clearTimeout(timer), resolve());
			});
		}

		for (let i = 0; i < warmup; i++) await ping();
		return {
			method: 'va.ping',
			count,
			warmup,
			frameBytes: pingFrameBytes(),
			connectToHelloMs: helloAt - connectedAt,
			...(await timeRoundTrips(ping, count)),
		};
	} finally {
		agent.close();
	}
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const arg = (name, fallback) => {
		const i = process.argv.indexOf(`--${name}`);
		return i >= 0 ? process.argv[i + 1] : fallback;
	};

	try {
		const socket = arg('socket');
		if (!socket) throw new Error('--socket PATH is required');
		const result = await pingBench(socket, {count: Number(arg('count', 3000)), warmup: Number(arg('warmup', 1000))});
		console.log(JSON.stringify({socket, ...result}));
		process.exit(0);
	} catch (error) {
		console.error(`ping-bench: ${error.message}`);
		process.exit(1);
	}
}
