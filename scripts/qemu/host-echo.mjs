#!/usr/bin/env node
// Host-side check of the e2e run in "echo" mode (guest runs echo-guest.mjs). Run by e2e.sh;
// the "daemon" mode swaps this step for the monitor's test. The contract of a host check:
//   env VA_E2E_SOCKET   UNIX socket = host end of port org.qemu.virtagent
//       VA_E2E_CONSOLE  guest console file (lines "VA-E2E ...")
//       VA_E2E_SEED     seed of the guest-only secret file (secret.mjs recomputes it)
//       VA_E2E_T0_MS    epoch ms at which QEMU was started
//       VA_E2E_RESULT   where to write a JSON result (also printed on stdout)
//       VA_E2E_BENCH    round-trip runs, "COUNTxSIZE,..." (default "3000x64,500x4096")
//       VA_E2E_WARMUP   round trips before the first run (default 1000)
//   exit 0 = pass; it may end the guest (here: the quit line -> the guest powers off).
import fs from 'node:fs';
import {connectUnix, LineClient, echoBench} from './echo-bench.mjs';
import {expectedSecret, sha256} from './secret.mjs';
import {runHostCheck} from './host-check.mjs';

const env = name => {
	const value = process.env[name];
	if (!value) throw new Error(`${name} is not set`);
	return value;
};

async function main() {
	const socketPath = env('VA_E2E_SOCKET');
	const t0 = Number(env('VA_E2E_T0_MS'));
	const seed = env('VA_E2E_SEED');
	const result = {mode: 'echo'};

	// The guest-only file: the console line must match what the host recomputes from the seed.
	const console_ = fs.readFileSync(env('VA_E2E_CONSOLE'), 'utf8');
	const m = /^VA-E2E secret path=(\S+) seed=(\S+) size=(\d+) sha256=([0-9a-f]{64})/m.exec(console_);
	if (!m) throw new Error('no "VA-E2E secret" line on the console');
	const expected = expectedSecret(seed);
	if (m[2] !== seed || Number(m[3]) !== expected.length || m[4] !== sha256(expected))
		throw new Error(`secret mismatch: guest ${m[4]} (${m[3]} bytes), host ${sha256(expected)}`);
	result.secret = {path: m[1], size: Number(m[3]), sha256: m[4], verified: true};

	const connectStart = Date.now();
	const client = new LineClient(await connectUnix(socketPath, 60_000));
	const hello = `hello ${seed}`;
	const first = (await client.request(hello, 60_000)).toString();
	const now = Date.now();
	if (first !== hello) throw new Error(`first echo mismatch: ${JSON.stringify(first)}`);
	result.firstEcho = {msSinceQemuStart: now - t0, msSinceConnect: now - connectStart};

	// Correctness: UTF-8, an empty line, a long line, pipelined lines in order.
	const samples = ['', 'héllo wörld ✓ 🚀', 'tab\there', 'A'.repeat(65_536)];
	for (const sample of samples) {
		const got = (await client.request(sample, 30_000)).toString();
		if (got !== sample) throw new Error(`echo mismatch for a ${sample.length}-char line`);
	}
	for (let i = 0; i < 200; i++) client.send(`pipelined ${i}`);
	for (let i = 0; i < 200; i++) {
		const got = (await client.next(30_000)).toString();
		if (got !== `pipelined ${i}`) throw new Error(`pipelined echo out of order at ${i}: ${got}`);
	}
	result.correctness = 'ok';

	result.bench = [];
	// Under TCG the guest's first thousand or so round trips are slow (V8 tiers up its code and
	// QEMU translates it anew): warm up well before the first measured run.
	let warmup = Number(process.env.VA_E2E_WARMUP || 1000);
	for (const spec of (process.env.VA_E2E_BENCH || '3000x64,500x4096').split(',')) {
		const [count, size] = spec.split('x').map(Number);
		result.bench.push(await echoBench(client, {count, size, warmup}));
		warmup = 50;
	}

	const bye = (await client.request('__va_e2e_quit__', 10_000)).toString();
	if (bye !== 'bye') throw new Error(`quit answered ${JSON.stringify(bye)}`);
	client.close();
	result.quit = 'ok';
	return result;
}

await runHostCheck('host-echo', main);
