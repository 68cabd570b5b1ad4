#!/usr/bin/env node
// Round-trip benchmark over a line protocol on a UNIX socket (the host end of the guest's
// virtio-serial port): sends one line, waits for the same line to come back, N times; prints JSON.
// This is the BASELINE (a plain line echo in the guest) that the real agent is compared with.
//
// CLI:  node scripts/qemu/echo-bench.mjs --socket PATH [--count 2000] [--size 64] [--warmup 50]
//         [--connect-timeout-ms 60000] [--timeout-ms 30000]
//   --size is the whole message in bytes, newline included (payload = size - 1 bytes, >= 16).
// Module: import {connectUnix, LineClient, echoBench} from './echo-bench.mjs'
import net from 'node:net';
import {fileURLToPath} from 'node:url';

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Connects to a UNIX socket, retrying (ENOENT, ECONNREFUSED) until timeoutMs. */
export async function connectUnix(path, timeoutMs = 60_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			return await new Promise((resolve, reject) => {
				const socket = net.connect(path);
				socket.once('connect', () => {
					socket.removeListener('error', reject);
					resolve(socket);
				});
				socket.once('error', reject);
			});
		} catch (error) {
			if (Date.now() >= deadline) throw new Error(`cannot connect to ${path}: ${error.message}`);
			await sleep(50);
		}
	}
}

/** Line-at-a-time client: send(line) and next(timeoutMs) -> the next received line (Buffer, no \n). */
export class LineClient {
	constructor(socket) {
		this.socket = socket;
		this.lines = [];
		this.waiters = [];
		this.partial = [];
		this.closed = null;
		socket.setNoDelay?.(true);
		socket.on('data', data => this.#onData(data));
		socket.on('close', () => this.#fail(new Error('connection closed')));
		socket.on('error', error => this.#fail(error));
	}

	#onData(data) {
		let start = 0;
		for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
			this.partial.push(data.subarray(start, nl));
			const line = this.partial.length === 1 ? this.partial[0] : Buffer.concat(this.partial);
			this.partial = [];
			start = nl + 1;
			const waiter = this.waiters.shift();
			if (waiter) waiter.resolve(line);
			else this.lines.push(line);
		}
		if (start < data.length) this.partial.push(data.subarray(start));
	}

	#fail(error) {
		this.closed ??= error;
		for (const waiter of this.waiters.splice(0)) waiter.reject(error);
	}

	send(line) {
		this.socket.write(Buffer.isBuffer(line) ? Buffer.concat([line, Buffer.from('\n')]) : `${line}\n`);
	}

	next(timeoutMs = 30_000) {
		if (this.lines.length > 0) return Promise.resolve(this.lines.shift());
		if (this.closed) return Promise.reject(this.closed);
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.waiters = this.waiters.filter(w => w.resolve !== done);
				reject(new Error(`no line within ${timeoutMs} ms`));
			}, timeoutMs);
			const done = line => {
				clearTimeout(timer);
				resolve(line);
			};
			this.waiters.push({resolve: done, reject: error => (clearTimeout(timer), reject(error))});
		});
	}

	async request(line, timeoutMs) {
		this.send(line);
		return this.next(timeoutMs);
	}

	close() {
		this.socket.end();
	}
}

const message = (seq, size) => {
	const head = `${seq}:`;
	return head + 'x'.repeat(Math.max(0, size - 1 - head.length));
};

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** N sequential round trips of `size`-byte messages; verifies every echo. */
export async function echoBench(client, {count = 2000, size = 64, warmup = 50, timeoutMs = 30_000} = {}) {
	if (size < 16) throw new Error('size must be >= 16');
	for (let i = 0; i < warmup; i++) {
		const sent = message(`w${i}`, size);
		const got = (await client.request(sent, timeoutMs)).toString();
		if (got !== sent) throw new Error(`warm-up echo mismatch at ${i}`);
	}
	const latencies = new Float64Array(count);
	const t0 = process.hrtime.bigint();
	for (let i = 0; i < count; i++) {
		const sent = message(i, size);
		const start = process.hrtime.bigint();
		const got = await client.request(sent, timeoutMs);
		latencies[i] = Number(process.hrtime.bigint() - start) / 1000;
		if (got.toString() !== sent) throw new Error(`echo mismatch at ${i}`);
	}
	const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
	const sorted = Array.from(latencies).sort((a, b) => a - b);
	const round = x => Math.round(x * 10) / 10;
	return {
		count,
		size,
		seconds: Math.round(seconds * 1000) / 1000,
		roundTripsPerSec: Math.round(count / seconds),
		mbPerSecEachWay: Math.round(((count * size) / seconds / 1e6) * 100) / 100,
		latencyUs: {p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1))},
	};
}

function parseArgs(argv) {
	const options = {count: 2000, size: 64, warmup: 50, connectTimeoutMs: 60_000, timeoutMs: 30_000};
	for (let i = 0; i < argv.length; i += 2) {
		const key = argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase());
		if (!(key in options) && key !== 'socket') throw new Error(`unknown option ${argv[i]}`);
		options[key] = key === 'socket' ? argv[i + 1] : Number(argv[i + 1]);
	}
	if (!options.socket) throw new Error('--socket PATH is required');
	return options;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	try {
		const options = parseArgs(process.argv.slice(2));
		const client = new LineClient(await connectUnix(options.socket, options.connectTimeoutMs));
		const result = await echoBench(client, options);
		client.close();
		console.log(JSON.stringify({socket: options.socket, ...result}));
		process.exit(0);
	} catch (error) {
		console.error(`echo-bench: ${error.message}`);
		process.exit(1);
	}
}
