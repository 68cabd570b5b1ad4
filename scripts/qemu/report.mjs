#!/usr/bin/env node
// The summary of an e2e run (e2e.sh's last step): joins the host checks' results and the guest's
// idle-CPU line into one JSON line on stdout, and writes the figures for the benchmark output to
// --bench-file (bench/results/e2e-qemu.json by default, a git-ignored folder).
// Usage: node report.mjs --mode M --kernel K --setup-ms N --start-ms EPOCH_MS --bench-file F
//          [--echo echo.json] [--idle idle.txt] [--daemon daemon.json]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const arg = name => {
	const i = process.argv.indexOf(`--${name}`);
	return i >= 0 ? process.argv[i + 1] : undefined;
};

const readJson = file => (file ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined);

/** "VA-E2E idle-cpu pid=1 comm=node procs=2 ... cpu_percent=0.00" -> {pid: 1, comm: 'node', ...} */
function parseIdle(file) {
	if (!file) return undefined;
	const fields = fs.readFileSync(file, 'utf8').trim().split(/\s+/).slice(2);
	return Object.fromEntries(
		fields.map(field => {
			const [key, value] = field.split('=');
			return [key, /^[\d.]+$/.test(value) ? Number(value) : value];
		}),
	);
}

const echo = readJson(arg('echo'));
const idle = parseIdle(arg('idle'));
const daemon = readJson(arg('daemon'));
const startMs = Number(arg('start-ms'));

/** ms from one moment of the boot timeline (test/e2e/boot-timeline.mjs) to another, or null. */
function timelineSpan(timeline, from, to) {
	return typeof timeline?.[from] === 'number' && typeof timeline?.[to] === 'number' ? timeline[to] - timeline[from] : null;
}

const figures = {
	pingRoundTripsPerSec: daemon?.ping.roundTripsPerSec ?? null,
	pingFrameBytes: daemon?.ping.frameBytes ?? null,
	echoRoundTripsPerSec: daemon?.pingVsEcho?.echoRoundTripsPerSec ?? echo?.bench?.[0]?.roundTripsPerSec ?? null,
	echoLineBytes: daemon?.pingVsEcho?.echoSize ?? echo?.bench?.[0]?.size ?? null,
	pingToEchoRatio: daemon?.pingVsEcho?.ratio ?? null,
	qgaPingRoundTripsPerSec: daemon?.qga?.roundTripsPerSec ?? null,
	pingToQgaRatio: daemon?.pingVsQga?.ratio ?? null,
	monitorQgaPingRoundTripsPerSec: daemon?.qgaMonitorPing?.monitorRoundTripsPerSec ?? null,
	monitorToBareQgaRatio: daemon?.qgaMonitorPing?.ratio ?? null,
	bootToHelloMs: daemon?.firstSession.bootToHelloMs ?? null,
	bootToQgaAnswerMs: daemon?.qga?.bootToAnswerMs ?? null,
	helloAfterQgaMs: daemon?.pingVsQga?.helloAfterQgaMs ?? null,
	// Both launched at the same moment: the daemon's launch-to-hello against qemu-ga's launch-to-answer.
	daemonLaunchToHelloMs: timelineSpan(daemon?.bootTimeline, 'bothLaunched', 'monitorGotHello'),
	qgaLaunchToAnswerMs: timelineSpan(daemon?.bootTimeline, 'bothLaunched', 'qgaAnswered'),
	bootTimeline: daemon?.bootTimeline ?? null,
	bootToFirstEchoMs: echo?.firstEcho.msSinceQemuStart ?? null,
	daemonIdleCpuPercent: idle?.cpu_percent ?? null,
	daemonIdleProcesses: idle?.procs ?? null,
	daemonIdleSettleSeconds: idle?.settle_seconds ?? null,
	daemonIdleWithHostCpuPercent: daemon?.idleWithHost?.cpuPercent ?? null,
	monitorKillToHelloMs: daemon?.restart.killToHelloMs ?? null,
	shutdownReplyToQemuExitMs: daemon?.shutdown.replyToQemuExitMs ?? null,
};
const summary = {
	mode: arg('mode'),
	kernel: arg('kernel'),
	accel: 'tcg',
	setupMs: Number(arg('setup-ms')),
	totalMs: Date.now() - startMs,
	hostLoadavg: os.loadavg().map(x => Math.round(x * 100) / 100),
	figures,
	echo: echo ?? null,
	daemonIdle: idle ?? null,
	daemon: daemon ?? null,
};

const benchFile = arg('bench-file');
if (benchFile) {
	fs.mkdirSync(path.dirname(benchFile), {recursive: true});
	const bench = {
		name: 'e2e-qemu',
		at: new Date().toISOString(),
		what: 'one request at a time through a real virtio-serial port (QEMU TCG guest, host UNIX socket): va.ping with the project engine (the guest executable) vs a plain Node line echo on the same port and qemu-ga guest-ping on its own port in the same guest, same run',
		kernel: summary.kernel,
		hostCpus: os.cpus().length,
		hostLoadavg: summary.hostLoadavg,
		...figures,
		ping: daemon?.ping ?? null,
		echo: echo?.bench ?? null,
		qga: daemon?.qga ?? null,
		qgaMonitorPing: daemon?.qgaMonitorPing ?? null,
	};
	fs.writeFileSync(benchFile, JSON.stringify(bench, null, '\t') + '\n');
}

console.log(JSON.stringify(summary));
