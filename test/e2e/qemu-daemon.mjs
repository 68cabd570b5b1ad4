#!/usr/bin/env node
// Host-side check of the QEMU e2e run (scripts/qemu/e2e.sh, boot "daemon"): the guest daemon
// (`virtagent guest`, default channel and path) runs in the guest from boot; here the monitor in
// scripted mode (`virtagent monitor --connect SOCK -c ... --json`) talks to it through QEMU's
// chardev socket. Contract of a host check (see scripts/qemu/host-echo.mjs): env VA_E2E_SOCKET,
// VA_E2E_CONSOLE, VA_E2E_SEED, VA_E2E_T0_MS, VA_E2E_QEMU_PID, VA_E2E_RESULT, VA_E2E_KERNEL (the
// guest kernel's release), VA_E2E_SHUTDOWN_DELAY (s, the daemon's --shutdown-delay); optional
// VA_E2E_PING_COUNT (3000), VA_E2E_WARMUP (1000); `--baseline ECHO.json` (host-echo.mjs's result
// from the same run) adds the ratio. Exit 0 = pass; on a failure it says which step, with the
// monitor's output.
//
// Steps (no sleeps: the first monitor waits for the guest's hello within its --timeout; every
// other wait polls a condition under a deadline):
//   1. monitor A, connected while the guest boots: the hello (-v), agent_capabilities, agent_ping,
//      agent_viewfile of the guest-only secret (exactly its bytes), /proc/version, /proc/self/stat
//      (the daemon's pid + start time), agent_viewdmesg (the guest kernel's log), info agent;
//   2. va.ping round trips, one at a time, with the project's engine (ping-bench.mjs);
//   3. monitor B killed (SIGKILL) with agent_viewdmesg requests in flight; monitor C: hello again,
//      agent_ping, the same daemon process (pid + start time);
//   4. monitor D: agent_shutdown powerdown -> {"return": {}}, then QEMU exits by itself within
//      the delay plus a margin (and not before the delay).
// With VA_E2E_QGA_SOCKET (qemu-ga on port org.qemu.guest_agent.0 in the same guest): a guest-ping
// sent at boot (boot-to-qemu-ga-answering, beside boot-to-hello), and after step 2 qemu-ga's
// guest-ping round trips, one at a time (qga-bench.mjs), then the monitor with its default
// --protocol auto on that port: it finds qemu-ga, pings it, copies the guest-only secret out with
// agent_getfile (exact bytes) and says protocol qga in `info agent`. Step 4 then changes: the
// daemon's shutdown command only writes "VA-E2E daemon-shutdown mode=…" on the console
// (guest-e2e.sh), which must appear not before the delay, and the real power-off is the last
// step: `agent_shutdown powerdown` through qemu-ga (no reply on success), after which QEMU exits.
// Before step 4, the daemon's CPU while a host stays connected and idle (VA_E2E_IDLE_SECONDS,
// default 5), read from /proc in the guest.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {expectedSecret, kmsgMarker, SECRET_PATH, sha256} from '../../scripts/qemu/secret.mjs';
import {Agent} from '../../dist/src/engine/agent.js';
import {hostRegistry} from '../../dist/src/monitor/host-rpcs.js';
import {connectEndpoint} from '../../dist/src/transport/endpoint.js';
import {pingBench} from './ping-bench.mjs';
import {compareMonitorWithBare} from './qga-monitor-bench.mjs';
import {startQgaClient} from './qga-bench.mjs';
import {runHostCheck} from '../../scripts/qemu/host-check.mjs';
import {saveTimeline, watchConsole} from './boot-timeline.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(repo, 'bin/virtagent.js');
const expectedMethods = ['system.listMethods', 'va.capabilities', 'va.getdmesg', 'va.getfile', 'va.ping', 'va.readfile', 'va.shutdown'];
const shutdownMarginMs = 30_000;

const env = name => {
	const value = process.env[name];
	if (!value) throw new Error(`${name} is not set`);
	return value;
};

class CheckError extends Error {
	constructor(step, message, monitor) {
		super(`${step}: ${message}${monitor ? `\n${describeRun(monitor)}` : ''}`);
	}
}

const clip = (text, max = 2000) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);
const describeRun = run =>
	[
		`  monitor ${run.args.join(' ')}`,
		`  exit ${run.signal ?? run.code}`,
		`  stdout: ${clip(run.stdout).replaceAll('\n', '\n          ')}`,
		`  stderr: ${clip(run.stderr).replaceAll('\n', '\n          ')}`,
	].join('\n');

/**
 * Starts `virtagent monitor --connect SOCK --json ARGS -c SCRIPT`. `lines` fills with each JSON
 * answer as it arrives; `done` resolves when it exits (killed at `limitMs`, which is a failure).
 */
function startMonitor(socket, script, {timeoutS, verbose = false, limitMs}) {
	const args = ['monitor', '--connect', socket, '--json', '--timeout', String(timeoutS), ...(verbose ? ['-v'] : []), '-c', script];
	const child = spawn(process.execPath, [cli, ...args], {stdio: ['ignore', 'pipe', 'pipe']});
	const run = {args, stdout: '', stderr: '', lines: [], code: undefined, signal: undefined, startedAt: Date.now(), lineTimes: [], stderrTimes: [], child};
	let partial = '';
	let onLine = () => {};
	child.stdout.setEncoding('utf8');
	child.stderr.setEncoding('utf8');
	child.stdout.on('data', text => {
		run.stdout += text;
		partial += text;
		let nl;
		while ((nl = partial.indexOf('\n')) >= 0) {
			const line = partial.slice(0, nl);
			partial = partial.slice(nl + 1);
			run.lines.push(JSON.parse(line));
			run.lineTimes.push(Date.now());
			onLine();
		}
	});
	child.stderr.on('data', text => {
		run.stderr += text;
		run.stderrTimes.push({at: Date.now(), text});
	});
	const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
	run.done = new Promise(resolve => {
		child.once('close', (code, signal) => {
			clearTimeout(timer);
			run.code = code;
			run.signal = signal;
			resolve(run);
		});
	});
	/** Resolves once `count` answers have arrived (or rejects when the monitor ends first). */
	run.waitLines = count =>
		new Promise((resolve, reject) => {
			const check = () => {
				if (run.lines.length >= count) resolve(run.lines);
			};

			onLine = check;
			check();
			run.done.then(() => (run.lines.length >= count ? resolve(run.lines) : reject(new Error(`the monitor ended after ${run.lines.length} answers`))));
		});
	return run;
}

/** The value of an answer that must be {"return": …}. */
function returned(step, run, index) {
	const answer = run.lines[index];
	if (!answer || !('return' in answer)) throw new CheckError(step, `answer ${index + 1} is not a return: ${JSON.stringify(answer)}`, run);
	return answer.return;
}

/** `-v` prints "-- the guest agent said hello at ISO" when the guest says va.hello. */
const hellos = run => [...run.stderr.matchAll(/^-- the guest agent said hello at (\S+)$/gm)].map(m => Date.parse(m[1]));

/** pid (field 1) and start time in ticks since boot (field 22) of a /proc/PID/stat text. */
function processIdentity(step, stat) {
	const m = /^(\d+) \(.*\) (.*)$/s.exec(String(stat).trim());
	if (!m) throw new CheckError(step, `not a /proc/PID/stat: ${JSON.stringify(stat)}`);
	return {pid: Number(m[1]), startTicks: Number(m[2].split(' ')[19])};
}

/** agent_viewfile's JSON value (docs/JSON.md): {path, size, base64, text?}. */
function fileBytes(value) {
	if (value && typeof value.base64 === 'string') return Buffer.from(value.base64, 'base64');
	throw new Error(`unexpected agent_viewfile value: ${JSON.stringify(value).slice(0, 200)}`);
}

const consoleText = () => fs.readFileSync(env('VA_E2E_CONSOLE'), 'utf8').replaceAll('\r', '');

/** True once the process has ended (or is a zombie nobody reaped yet). */
function ended(pid) {
	try {
		process.kill(pid, 0);
	} catch {
		return true;
	}

	try {
		return fs
			.readFileSync(`/proc/${pid}/stat`, 'utf8')
			.replace(/^.*\) /s, '')
			.startsWith('Z');
	} catch {
		return true;
	}
}

async function poll(condition, timeoutMs, intervalMs = 20) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (condition()) return true;
		if (Date.now() >= deadline) return false;
		await new Promise(resolve => setTimeout(resolve, intervalMs));
	}
}

/**
 * The files the daemon and its child processes have mapped (its executable and libraries), and
 * their CPU over `seconds` while this host stays connected and sends nothing (two reads of /proc
 * through va.getfile, at the start and the end).
 */
async function inspectDaemon(socket, pid, seconds) {
	const agent = new Agent({name: 'host', registry: hostRegistry(), callTimeoutMs: 30_000});
	agent.attach(await connectEndpoint({kind: 'unix', path: socket}));
	const read = async file => String(await agent.call('va.getfile', [file]));
	const ticksOf = stat => {
		const fields = stat.replace(/^.*\) /s, '').split(' ');
		return Number(fields[11]) + Number(fields[12]); // utime + stime
	};

	const sample = async () => {
		const children = (await read(`/proc/${pid}/task/${pid}/children`)).trim().split(/\s+/).filter(Boolean);
		let ticks = 0;
		for (const each of [pid, ...children]) ticks += ticksOf(await read(`/proc/${each}/stat`));
		return {ticks, uptime: Number((await read('/proc/uptime')).split(' ')[0]), procs: 1 + children.length};
	};

	try {
		const children = (await read(`/proc/${pid}/task/${pid}/children`)).trim().split(/\s+/).filter(Boolean);
		const mapped = new Set();
		for (const each of [pid, ...children]) {
			for (const line of (await read(`/proc/${each}/maps`)).split('\n')) {
				const file = line.split(/\s+/).slice(5).join(' ');
				if (file.startsWith('/')) mapped.add(file);
			}
		}

		const before = await sample();
		await new Promise(resolve => setTimeout(resolve, seconds * 1000));
		const after = await sample();
		const window = after.uptime - before.uptime;
		// USER_HZ is 100 on Linux.
		const idle = {
			seconds: Math.round(window * 100) / 100,
			ticks: after.ticks - before.ticks,
			procs: after.procs,
			cpuPercent: Math.round(((after.ticks - before.ticks) / window) * 100) / 100,
		};
		return {mappedFiles: [...mapped].sort(), idle};
	} finally {
		agent.close();
	}
}

/** How many times the daemon has logged that its host went away. */
const channelDowns = () => consoleText().match(/ info: channel down: /g)?.length ?? 0;

/**
 * Waits until the daemon has seen the previous host leave (one more "channel down" than
 * `before`). A host that connects again at once can be missed: the guest kernel may handle the
 * port's close and the next open together, before the daemon looks, and then nothing tells it
 * that a new host is there (a blocking read() has the same blind spot). Hosts in real use come back
 * seconds later; the e2e waits for the daemon instead of racing it.
 */
async function hostGoneSeen(step, before) {
	if (!(await poll(() => channelDowns() > before, 30_000, 50))) throw new CheckError(step, 'the daemon did not notice the host leaving within 30 s');
}

async function main() {
	const socket = env('VA_E2E_SOCKET');
	const t0 = Number(env('VA_E2E_T0_MS'));
	const seed = env('VA_E2E_SEED');
	const kernel = env('VA_E2E_KERNEL');
	const qemuPid = Number(env('VA_E2E_QEMU_PID'));
	const delayMs = Number(env('VA_E2E_SHUTDOWN_DELAY')) * 1000;
	const result = {mode: 'daemon'};
	const log = message => process.stderr.write(`qemu-daemon: ${message}\n`);
	const qgaSocket = process.env.VA_E2E_QGA_SOCKET;
	const timeline = watchConsole(env('VA_E2E_CONSOLE'), t0);
	const qga = qgaSocket ? await startQgaClient(qgaSocket) : undefined;

	// 1. The first session, from boot.
	let step = 'first session';
	const a = startMonitor(
		socket,
		[
			'agent_capabilities',
			'agent_ping',
			`agent_viewfile ${SECRET_PATH}`,
			'agent_viewfile /proc/version',
			'agent_viewfile /proc/self/stat',
			'agent_viewdmesg',
			'info agent',
		].join('; '),
		{timeoutS: 150, verbose: true, limitMs: 200_000},
	);
	await a.done;
	if (a.code !== 0) throw new CheckError(step, `the monitor exited with ${a.signal ?? a.code}`, a);
	const [helloAt] = hellos(a);
	if (helloAt === undefined) throw new CheckError(step, 'no hello from the guest (-v line)', a);
	const {methods} = returned(step, a, 0);
	const missing = expectedMethods.filter(name => !methods.includes(name));
	if (missing.length > 0) throw new CheckError(step, `agent_capabilities lacks ${missing.join(', ')}`, a);
	returned(step, a, 1);
	const secret = fileBytes(returned(step, a, 2));
	const expected = expectedSecret(seed);
	if (!secret.equals(expected))
		throw new CheckError(
			step,
			`the guest-only file differs: ${secret.length} bytes sha256 ${sha256(secret)}, expected ${expected.length} bytes sha256 ${sha256(expected)}`,
		);
	if (fs.existsSync(SECRET_PATH) && fs.readFileSync(SECRET_PATH).equals(expected)) throw new CheckError(step, `${SECRET_PATH} exists on the host too`);
	const procVersion = fileBytes(returned(step, a, 3))
		.toString('utf8')
		.trim();
	if (!procVersion.startsWith(`Linux version ${kernel} `)) throw new CheckError(step, `the guest's /proc/version is not kernel ${kernel}: ${procVersion}`);
	const daemon = processIdentity(step, fileBytes(returned(step, a, 4)).toString('utf8'));
	const dmesg = returned(step, a, 5).text;
	if (typeof dmesg !== 'string') throw new CheckError(step, 'agent_viewdmesg returned no text', a);
	if (!dmesg.includes(procVersion)) throw new CheckError(step, `the dmesg does not name the guest kernel's version line (${procVersion})`);
	if (!dmesg.includes(kmsgMarker(seed))) throw new CheckError(step, `the dmesg lacks this guest's marker "${kmsgMarker(seed)}"`);
	if (kernel !== os.release() && dmesg.includes(`Linux version ${os.release()} `)) throw new CheckError(step, 'the dmesg names the HOST kernel');
	const info = returned(step, a, 6);
	if (!info.hello || info.version !== '1.0') throw new CheckError(step, `info agent: no hello or version: ${JSON.stringify(info)}`, a);
	result.firstSession = {
		bootToHelloMs: helloAt - t0,
		guestVersion: info.version,
		methods,
		secret: {path: SECRET_PATH, bytes: secret.length, sha256: sha256(secret), exact: true},
		kernel: procVersion,
		dmesgChars: dmesg.length,
		dmesgBootVersionLine: /\] Linux version /.test(dmesg),
		daemon,
	};
	log(`hello ${helloAt - t0} ms after QEMU started; capabilities, ping, file (${secret.length} bytes, exact), dmesg (${procVersion.slice(0, 40)}…) ok`);

	timeline.mark('the monitor got the hello', helloAt);
	for (const {at, text} of a.stderrTimes) timeline.mark(`monitor stderr: ${text.trim().replaceAll('\n', ' | ')}`, at);

	// 2. va.ping through the real port, one at a time.
	step = 'ping round trips';
	await hostGoneSeen(step, 0);
	result.ping = await pingBench(socket, {count: Number(process.env.VA_E2E_PING_COUNT || 3000), warmup: Number(process.env.VA_E2E_WARMUP || 1000)});
	log(`va.ping: ${result.ping.roundTripsPerSec} round trips/s (p50 ${result.ping.latencyUs.p50} µs)`);
	if (qga) {
		step = 'qemu-ga ping round trips';
		const answeredAt = await qga.firstAnswerAt;
		timeline.mark('qemu-ga answered its first guest-ping', answeredAt);
		result.qga = {
			bootToAnswerMs: answeredAt - t0,
			...(await qga.bench({count: Number(process.env.VA_E2E_PING_COUNT || 3000), warmup: Number(process.env.VA_E2E_WARMUP || 1000)})),
		};
		qga.close();
		result.pingVsQga = {
			ratio: Math.round((result.ping.roundTripsPerSec / result.qga.roundTripsPerSec) * 1000) / 1000,
			helloAfterQgaMs: result.firstSession.bootToHelloMs - result.qga.bootToAnswerMs,
		};
		result.bootTimeline = saveTimeline(timeline);
		log(
			`qemu-ga guest-ping: ${result.qga.roundTripsPerSec} round trips/s (p50 ${result.qga.latencyUs.p50} µs), answered ${result.qga.bootToAnswerMs} ms after QEMU started; va.ping/qemu-ga ${result.pingVsQga.ratio}`,
		);

		// The same pings through the monitor (session, command line, engine, qga wire) on the same port.
		step = 'the monitor pinging qemu-ga';
		result.qgaMonitorPing = await compareMonitorWithBare(qgaSocket, {blocks: 4, count: Math.ceil(Number(process.env.VA_E2E_PING_COUNT || 3000) / 6)});
		log(
			`monitor agent_ping via qemu-ga: ${result.qgaMonitorPing.monitorRoundTripsPerSec} round trips/s against the bare client's ${result.qgaMonitorPing.bareRoundTripsPerSec} in turns; monitor/bare client ${result.qgaMonitorPing.ratio} (median latencies: ${result.qgaMonitorPing.p50Ratio})`,
		);

		// The monitor finds qemu-ga by itself (--protocol auto) and copies a guest-only file out.
		step = 'qemu-ga through the monitor';
		const copyPath = path.join(os.tmpdir(), `va-e2e-qga-secret-${process.pid}`);
		fs.rmSync(copyPath, {force: true});
		const q = startMonitor(qgaSocket, ['agent_ping', 'agent_capabilities', `agent_getfile ${SECRET_PATH} ${copyPath}`, 'info agent'].join('; '), {
			timeoutS: 30,
			limitMs: 90_000,
		});
		await q.done;
		try {
			if (q.code !== 0) throw new CheckError(step, `the monitor exited with ${q.signal ?? q.code}`, q);
			returned(step, q, 0);
			const qgaMethods = returned(step, q, 1).methods;
			if (!qgaMethods?.includes('guest-file-read')) throw new CheckError(step, `guest-file-read is not enabled: ${JSON.stringify(qgaMethods)}`, q);
			const copied = returned(step, q, 2);
			const bytes = fs.readFileSync(copyPath);
			if (!bytes.equals(expected) || copied.sha256 !== sha256(expected) || copied.bytes !== expected.length)
				throw new CheckError(step, `agent_getfile via qemu-ga: ${bytes.length} bytes sha256 ${sha256(bytes)}, expected ${expected.length} bytes`, q);
			const qgaInfo = returned(step, q, 3);
			if (qgaInfo.protocol !== 'qga') throw new CheckError(step, `info agent: protocol ${JSON.stringify(qgaInfo.protocol)}, expected qga`, q);
			result.qgaMonitor = {
				protocol: qgaInfo.protocol,
				version: qgaInfo.version,
				getfile: {bytes: copied.bytes, sha256: copied.sha256, exact: true, seconds: copied.seconds},
			};
			log(`the monitor (auto) found qemu-ga ${qgaInfo.version}, pinged it and copied ${copied.bytes} bytes out exactly`);
		} finally {
			fs.rmSync(copyPath, {force: true});
		}
	}

	// 3. A monitor killed with requests in flight, then a new one.
	step = 'monitor killed';
	await hostGoneSeen(step, 1);
	const b = startMonitor(socket, ['agent_ping', ...Array.from({length: 20}, () => 'agent_viewdmesg')].join('; '), {timeoutS: 30, limitMs: 120_000});
	try {
		await b.waitLines(2);
	} catch (error) {
		await b.done;
		throw new CheckError(step, error.message, b);
	}

	b.child.kill('SIGKILL');
	await b.done;
	if (b.signal !== 'SIGKILL') throw new CheckError(step, 'the monitor was not killed mid-way', b);
	const killedAt = Date.now();
	step = 'monitor restarted';
	await hostGoneSeen(step, 2);
	const c = startMonitor(socket, ['agent_ping', 'agent_viewfile /proc/self/stat', 'info agent'].join('; '), {timeoutS: 30, verbose: true, limitMs: 120_000});
	await c.done;
	if (c.code !== 0) throw new CheckError(step, `the monitor exited with ${c.signal ?? c.code}`, c);
	const [helloAgain] = hellos(c);
	if (helloAgain === undefined || helloAgain < c.startedAt) throw new CheckError(step, 'the guest did not say hello to the new monitor', c);
	returned(step, c, 0);
	const after = processIdentity(step, fileBytes(returned(step, c, 1)).toString('utf8'));
	if (after.pid !== daemon.pid || after.startTicks !== daemon.startTicks)
		throw new CheckError(step, `another daemon process answers: ${JSON.stringify(after)}, was ${JSON.stringify(daemon)}`);
	if (/^VA-E2E program-exit/m.test(consoleText())) throw new CheckError(step, 'the guest daemon exited');
	result.restart = {killedWith: 'SIGKILL', answersBeforeKill: b.lines.length, killToHelloMs: helloAgain - killedAt, sameDaemon: true};
	log(`monitor killed after ${b.lines.length} answers; the same daemon said hello ${helloAgain - killedAt} ms later and answered`);

	// The single executable and its own libraries: nothing from the host's /usr or the repository.
	step = "the daemon's files and idle CPU with a host";
	await hostGoneSeen(step, 3);
	const inspected = await inspectDaemon(socket, daemon.pid, Number(process.env.VA_E2E_IDLE_SECONDS || 5));
	const foreign = inspected.mappedFiles.filter(file => file.startsWith('/usr/') || file.startsWith(repo));
	if (foreign.length > 0) throw new CheckError(step, `the daemon maps files from the host's /usr or the repository: ${foreign.join(', ')}`);
	result.daemonFiles = inspected.mappedFiles;
	result.idleWithHost = inspected.idle;
	log(
		`daemon maps ${inspected.mappedFiles.join(', ')}; idle with a host connected: ${inspected.idle.cpuPercent}% CPU over ${inspected.idle.seconds} s (${inspected.idle.procs} processes)`,
	);

	// 4. The real power-off.
	step = 'shutdown';
	await hostGoneSeen(step, 4);
	const d = startMonitor(socket, 'agent_shutdown powerdown', {timeoutS: 30, limitMs: 60_000});
	await d.done;
	if (d.code !== 0) throw new CheckError(step, `the monitor exited with ${d.signal ?? d.code}`, d);
	const replyAt = d.lineTimes[0];
	returned(step, d, 0);
	if (qga) {
		await shutdownThroughQemuGa(qgaSocket, {qemuPid, delayMs, replyAt, result, log});
		return withBaseline(result);
	}

	if (!(await poll(() => ended(qemuPid), delayMs + shutdownMarginMs)))
		throw new CheckError(step, `QEMU (pid ${qemuPid}) still runs ${delayMs + shutdownMarginMs} ms after the reply`);
	const replyToExitMs = Date.now() - replyAt;
	// The reply leaves the guest a moment before the host reads it: allow that moment.
	if (replyToExitMs < delayMs - 500) throw new CheckError(step, `QEMU exited ${replyToExitMs} ms after the reply, before the ${delayMs} ms delay`);
	const scheduled = /shutdown \(powerdown\) in [\d.]+s: \[.*\]/.exec(consoleText());
	result.shutdown = {reply: 'ok', delayMs, replyToQemuExitMs: replyToExitMs, guestLog: scheduled?.[0] ?? null};
	log(`agent_shutdown powerdown answered; QEMU exited ${replyToExitMs} ms later (delay ${delayMs} ms)`);
	return withBaseline(result);
}

/**
 * With qemu-ga beside the daemon: the daemon's shutdown command only marks the console (it must
 * run, not before its delay), and qemu-ga's guest-shutdown powers the guest off for real. It
 * sends no reply on success: the monitor says it saw the channel close or silence.
 */
async function shutdownThroughQemuGa(qgaSocket, {qemuPid, delayMs, replyAt, result, log}) {
	let step = 'shutdown: the daemon ran its command';
	const marker = /^VA-E2E daemon-shutdown mode=powerdown/m;
	if (!(await poll(() => marker.test(consoleText()), delayMs + shutdownMarginMs, 50)))
		throw new CheckError(step, `no "VA-E2E daemon-shutdown mode=powerdown" on the console ${delayMs + shutdownMarginMs} ms after the reply`);
	const commandAfterMs = Date.now() - replyAt;
	if (commandAfterMs < delayMs - 500) throw new CheckError(step, `the command ran ${commandAfterMs} ms after the reply, before the ${delayMs} ms delay`);
	if (ended(qemuPid)) throw new CheckError(step, 'QEMU ended before qemu-ga was asked');
	step = 'shutdown through qemu-ga';
	const e = startMonitor(qgaSocket, 'agent_shutdown powerdown', {timeoutS: 10, limitMs: 60_000});
	await e.done;
	if (e.code !== 0) throw new CheckError(step, `the monitor exited with ${e.signal ?? e.code}`, e);
	const answer = returned(step, e, 0);
	if (answer.mode !== 'powerdown' || !['channel-closed', 'silence'].includes(answer.noReply))
		throw new CheckError(step, `unexpected return ${JSON.stringify(answer)}`, e);
	const answeredAt = e.lineTimes[0];
	if (!(await poll(() => ended(qemuPid), shutdownMarginMs)))
		throw new CheckError(step, `QEMU (pid ${qemuPid}) still runs ${shutdownMarginMs} ms after qemu-ga took it`);
	const exitAfterMs = Date.now() - answeredAt;
	result.shutdown = {reply: 'ok', delayMs, daemonCommandAfterMs: commandAfterMs, via: 'qemu-ga', qgaNoReply: answer.noReply, replyToQemuExitMs: exitAfterMs};
	log(
		`the daemon ran its shutdown command ${commandAfterMs} ms after its reply; qemu-ga's guest-shutdown (${answer.noReply}) powered the guest off, QEMU exited ${exitAfterMs} ms later`,
	);
}

function withBaseline(result) {
	const baselineAt = process.argv.indexOf('--baseline');
	if (baselineAt >= 0) {
		const echo = JSON.parse(fs.readFileSync(process.argv[baselineAt + 1], 'utf8'));
		const same = (echo.bench ?? []).reduce(
			(best, run) => (!best || Math.abs(run.size - result.ping.frameBytes.request) < Math.abs(best.size - result.ping.frameBytes.request) ? run : best),
			undefined,
		);
		if (same)
			result.pingVsEcho = {
				echoSize: same.size,
				echoRoundTripsPerSec: same.roundTripsPerSec,
				pingRoundTripsPerSec: result.ping.roundTripsPerSec,
				ratio: Math.round((result.ping.roundTripsPerSec / same.roundTripsPerSec) * 1000) / 1000,
			};
	}

	return result;
}

await runHostCheck('qemu-daemon', main);
