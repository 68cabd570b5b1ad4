#!/usr/bin/env node
// Instructions, not seconds: what the guest executable costs under software emulation (TCG),
// where time is roughly proportional to the instructions executed, counted on the host with
// valgrind's callgrind, so that the figure does not depend on the machine's load.
//   node scripts/qemu/instructions.mjs start [RUNS]   exec -> its va.hello reaching a host, against
//                                                    `node -e ""` run to its end (the floor)
//   node scripts/qemu/instructions.mjs port [RUNS]    exec -> the hello written to its port, on the
//                                                    e2e's path (--channel virtio-serial on a
//                                                    pseudo-terminal, pty-port.py; needs python3),
//                                                    in two parts: Node's own start-up until it
//                                                    runs the executable's script, and the rest
//                                                    (ours). Exact cuts (callgrind dumps before
//                                                    the first stream write), so ours repeats
//                                                    within ~0.1M; Node's part swings by ~5M.
//                                                    Also distinct instructions (run at least once:
//                                                    what TCG translates on a cold start) and those
//                                                    new after Node's start-up; VA_DISTINCT_TOP=N
//                                                    lists the N functions with the most new ones.
//   node scripts/qemu/instructions.mjs ping [WARMUP] [CALLS]
//                                                    user-space instructions per round trip in the
//                                                    server process: the executable's va.ping, the
//                                                    bench's raw Node echo, qemu-ga's guest-ping
// Needs valgrind, `npm run build:guest` and `npm run build`. Counts user space only: the kernel's
// part (system calls, wake-ups) is not in them. NODE_EXTRA_CA_CERTS is removed from the
// environment: where it is set, every Node start parses a CA bundle (most of a start-up here).
// Each figure is one run's total, or the difference of two runs (per call); repeat a start-up
// run (RUNS) to see its spread (a few %: timers and background compilation).
import {execFile, execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {fileURLToPath} from 'node:url';
import {byKind, distinctAfter} from './callgrind-distinct.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
// VA_GUEST_EXE: another build of the executable to count (default dist/virtagent-guest).
const exe = path.resolve(process.env.VA_GUEST_EXE ?? path.join(repo, 'dist/virtagent-guest'));
const env = {...process.env};
delete env.NODE_EXTRA_CA_CERTS;
const qemuGa = fs.existsSync('/usr/sbin/qemu-ga') ? '/usr/sbin/qemu-ga' : 'qemu-ga';
const harmless = ['--block-rpcs', 'va.shutdown', '--shutdown-command', 'true'];
// The e2e's command line (scripts/qemu/guest-e2e.sh; its shutdown command made harmless), for the
// port path, which never gets a request: each option parsed is start-up work (a pattern that
// checked a number was ~9k distinct instructions, --block-rpcs' list a few k).
const e2eArgs = ['--shutdown-command', 'true', '--shutdown-delay', '1'];
// VA_SINGLE_THREADED=1: V8's compiler and collector on the main thread of the Node servers, so
// that they do the same work at the same points in every run (repeated per-call counts then
// agree within ~15%; with helper threads they swung by more than a change being judged).
const nodeFlags = process.env.VA_SINGLE_THREADED ? ['--single-threaded'] : [];
// VA_GUEST_FROM_DIST=1: count `virtagent guest` run by this Node from dist/, not the executable.
const guestCommand = process.env.VA_GUEST_FROM_DIST ? [process.execPath, ...nodeFlags, path.join(repo, 'bin/virtagent.js'), 'guest'] : [exe];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'va-instructions-'));
process.on('exit', () => fs.rmSync(work, {recursive: true, force: true}));

function collected(text) {
	const match = /^(?:summary|totals): (\d+)/m.exec(text) ?? /Collected : (\d+)/.exec(text);
	return match ? Number(match[1]) : undefined;
}

function underCallgrind(out, argv) {
	return spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, ...argv], {stdio: ['ignore', 'ignore', 'pipe'], env});
}

/** From exec until the first bytes (its va.hello) reach a listening host: dumped there, then killed. */
async function toHello(run) {
	const sock = path.join(work, `host-${run}.sock`);
	const out = path.join(work, `hello-${run}.out`);
	const guest = {pid: 0};
	const server = net.createServer(socket => {
		socket.once('data', () => execFile('callgrind_control', ['--dump', String(guest.pid)], () => undefined));
	});
	await new Promise(resolve => server.listen(sock, resolve));
	const child = underCallgrind(out, [exe, '--channel', 'unix-connect', '--path', sock, ...harmless]);
	guest.pid = child.pid;
	try {
		for (let waited = 0; waited < 300_000; waited += 200) {
			await new Promise(resolve => setTimeout(resolve, 200));
			const dumps = fs.readdirSync(work).filter(name => name.startsWith(`hello-${run}.out.`));
			const count = dumps.map(name => collected(fs.readFileSync(path.join(work, name), 'utf8'))).find(Boolean);
			if (count) {
				// VA_CALLGRIND_KEEP=DIR keeps the dump, for callgrind_annotate.
				if (process.env.VA_CALLGRIND_KEEP) {
					const dump = dumps.find(name => collected(fs.readFileSync(path.join(work, name), 'utf8')));
					fs.copyFileSync(path.join(work, dump), path.join(process.env.VA_CALLGRIND_KEEP, `hello-${run}.callgrind`));
				}

				return count;
			}
		}

		throw new Error('no dump within 300 s');
	} finally {
		child.kill('SIGKILL');
		server.close();
	}
}

/**
 * The port path: {node, ours} instructions, cut where Node starts the executable's script
 * (MaybeLoadSingleExecutableApplication) and before the first stream write (the hello, uv_try_write).
 */
async function toHelloOnPort(run) {
	const out = path.join(work, `port-${run}.out`);
	const pty = spawn('python3', [path.join(repo, 'scripts/qemu/pty-port.py')], {stdio: ['ignore', 'pipe', 'inherit']});
	const lines = readline.createInterface({input: pty.stdout})[Symbol.asyncIterator]();
	const nextLine = async () => {
		const {value, done} = await lines.next();
		if (done) {
			throw new Error('pty-port.py ended');
		}

		return value;
	};
	const device = await nextLine();
	const cuts = ['--dump-before=*MaybeLoadSingleExecutableApplication*', '--dump-before=uv_try_write', '--dump-instr=yes'];
	const child = spawn(
		'valgrind',
		['--tool=callgrind', `--callgrind-out-file=${out}`, ...cuts, exe, '--channel', 'virtio-serial', '--path', device, ...e2eArgs],
		{
			stdio: ['ignore', 'ignore', 'pipe'],
			env,
		},
	);
	try {
		const said = await nextLine();
		if (!said.startsWith('bytes')) {
			throw new Error(`no hello on the port: ${said}`);
		}

		const part = number => collected(fs.readFileSync(`${out}.${number}`, 'utf8'));
		return {node: part(1), ours: part(2), ...distinctAfter(`${out}.1`, `${out}.2`)};
	} finally {
		child.kill('SIGKILL');
		pty.kill();
	}
}

async function wholeRun(argv) {
	const child = underCallgrind('/dev/null', argv);
	let stderr = '';
	child.stderr.on('data', chunk => (stderr += chunk));
	await new Promise(resolve => child.once('exit', resolve));
	return collected(stderr);
}

/** Total instructions of a server process that answered WARMUP + CALLS round trips, then SIGTERM. */
async function serverRun(kind, warmup, calls) {
	const sock = path.join(work, `${kind}-${calls}.sock`);
	const {pingFrameSizes} = await import(path.join(repo, 'dist/bench/lib/sizes.js'));
	const sizes = pingFrameSizes();
	let argv;
	let request;
	let replyBytes;
	if (kind === 'va.ping') {
		argv = [...guestCommand, '--channel', 'unix-listen', '--path', sock, ...harmless];
	} else if (kind === 'echo') {
		argv = [process.execPath, ...nodeFlags, path.join(repo, 'dist/bench/peers/echo-main.js'), sock, String(sizes.request), String(sizes.reply)];
		request = Buffer.alloc(sizes.request, 0x61);
		replyBytes = sizes.reply;
	} else {
		// docs/QGA.md: every command blocked but the ones the ping needs.
		const allowed = new Set(['guest-sync', 'guest-sync-delimited', 'guest-ping', 'guest-info']);
		const known = execFileSync(qemuGa, ['-b', 'help'], {encoding: 'utf8'}).split(/\s+/).filter(Boolean);
		const block = known.filter(name => !allowed.has(name)).join(',');
		argv = [qemuGa, '-m', 'unix-listen', '-p', sock, '-t', work, '-f', path.join(work, 'qga.pid'), '-l', path.join(work, 'qga.log'), '-b', block];
		request = Buffer.from('{"execute":"guest-ping"}\n');
		replyBytes = '{"return": {}}\n'.length;
	}

	const child = underCallgrind('/dev/null', argv);
	let stderr = '';
	child.stderr.on('data', chunk => (stderr += chunk));
	for (let waited = 0; !fs.existsSync(sock); waited += 100) {
		if (waited > 120_000 || child.exitCode !== null) {
			throw new Error(`${kind} did not listen: ${stderr.slice(-500)}`);
		}

		await new Promise(resolve => setTimeout(resolve, 100));
	}

	await new Promise(resolve => setTimeout(resolve, 300)); // bind() comes a moment before listen()
	let roundTrip;
	let close;
	if (kind === 'va.ping') {
		const {Agent} = await import(path.join(repo, 'dist/src/engine/agent.js'));
		const {MethodRegistry} = await import(path.join(repo, 'dist/src/engine/registry.js'));
		const {connectEndpoint} = await import(path.join(repo, 'dist/src/transport/endpoint.js'));
		const slow = 600_000; // everything is ~50x slower under valgrind
		const registry = new MethodRegistry().register('va.hello', 'A guest is up.', () => 'dummy');
		const host = new Agent({name: 'host', registry, callTimeoutMs: slow, handlerTimeoutMs: slow, serverSendTimeoutMs: slow, sendStallMs: slow});
		host.attach(await connectEndpoint({kind: 'unix', path: sock}));
		roundTrip = () => host.call('va.ping', []);
		close = () => host.close();
	} else {
		const socket = net.connect(sock);
		await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
		let have = 0;
		let done;
		socket.on('data', chunk => {
			have += chunk.length;
			if (have >= replyBytes) {
				have -= replyBytes;
				done();
			}
		});
		roundTrip = () =>
			new Promise(resolve => {
				done = resolve;
				socket.write(request);
			});
		close = () => socket.destroy();
	}

	for (let i = 0; i < warmup + calls; i++) {
		await roundTrip();
	}

	close();
	child.kill('SIGTERM');
	await new Promise(resolve => child.once('exit', resolve));
	return collected(stderr);
}

const millions = count => `${(count / 1e6).toFixed(1)}M`;
const [what = 'start', ...rest] = process.argv.slice(2);
if (what === 'start') {
	const runs = Number(rest[0] ?? 3);
	const floor = await wholeRun([process.execPath, '-e', '']);
	const hellos = [];
	for (let run = 0; run < runs; run++) {
		hellos.push(await toHello(run));
	}

	hellos.sort((a, b) => a - b);
	const median = hellos[Math.floor(hellos.length / 2)];
	console.log(`node -e "" (whole run): ${millions(floor)}`);
	console.log(
		`guest executable, exec -> hello at the host: ${hellos.map(millions).join(', ')} (median ${millions(median)}, ${(median / floor).toFixed(2)}x the floor)`,
	);
} else if (what === 'port') {
	const runs = Number(rest[0] ?? 3);
	const counts = [];
	for (let run = 0; run < runs; run++) {
		counts.push(await toHelloOnPort(run));
	}

	const median = list => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
	console.log(
		`Node's start-up, until it runs the executable's script: ${counts.map(c => millions(c.node)).join(', ')} (median ${millions(median(counts.map(c => c.node)))})`,
	);
	console.log(
		`the executable's script -> the hello written to the port: ${counts.map(c => millions(c.ours)).join(', ')} (median ${millions(median(counts.map(c => c.ours)))})`,
	);
	console.log(`exec -> the hello written: median ${millions(median(counts.map(c => c.node + c.ours)))}`);
	const thousands = count => `${(count / 1e3).toFixed(1)}k`;
	console.log(
		`distinct instructions (what TCG translates): Node's start-up ${counts.map(c => thousands(c.earlier)).join(', ')}; ours ${counts.map(c => thousands(c.distinct)).join(', ')}, new after Node's start-up ${counts.map(c => thousands(c.fresh)).join(', ')} (median ${thousands(median(counts.map(c => c.fresh)))})`,
	);
	console.log(
		`  by kind (first run): ${byKind(counts[0].byFunction)
			.map(([kind, count]) => `${kind} ${thousands(count)}`)
			.join(', ')}`,
	);
	// VA_DISTINCT_TOP=N: the N functions with the most new distinct instructions (first run).
	const top = Number(process.env.VA_DISTINCT_TOP ?? 0);
	for (const [fn, count] of [...counts[0].byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
		console.log(`  ${String(count).padStart(6)}  ${fn}`);
	}
} else if (what === 'ping') {
	const warmup = Number(rest[0] ?? 2000);
	const calls = Number(rest[1] ?? 2000);
	// VA_INSTRUCTIONS_ONLY=va.ping: count that server alone (comparing builds of the executable).
	const only = process.env.VA_INSTRUCTIONS_ONLY;
	const kinds = only ? [only] : ['va.ping', 'echo'];
	try {
		execFileSync(qemuGa, ['-V'], {stdio: 'ignore'});
		if (!only) {
			kinds.push('qemu-ga');
		}
	} catch {
		console.log('(no qemu-ga on PATH: skipped)');
	}

	const perCall = {};
	for (const kind of kinds) {
		const few = await serverRun(kind, warmup, 500);
		const many = await serverRun(kind, warmup, 500 + calls);
		perCall[kind] = (many - few) / calls;
		console.log(`${kind}: ${Math.round(perCall[kind] / 100) / 10}k instructions per round trip (server process, after ${warmup} warm-up)`);
	}

	for (const base of ['echo', 'qemu-ga']) {
		if (perCall[base]) {
			console.log(`va.ping / ${base}: ${(perCall['va.ping'] / perCall[base]).toFixed(2)}x the instructions`);
		}
	}
} else {
	console.error('usage: instructions.mjs start [RUNS] | port [RUNS] | ping [WARMUP] [CALLS]');
	process.exitCode = 2;
}
