/**
 * `virtagent demo`: a guest daemon on a temporary socket (with a harmless shutdown command) and
 * the monitor connected to it, so the README's first command works on a fresh machine.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {Command} from './command.js';
import {parseOptions, runMonitor, UsageError} from './cli.js';
import {packageVersion} from '../version.js';

const demoUsage = `usage: virtagent demo [monitor options]

Starts a guest daemon on a temporary UNIX socket and the monitor connected to it (interactive on
a terminal, scripted with -c or piped input). agent_shutdown is harmless here: the demo guest
only prints what it would run. Monitor options (-c, --json, -e, -t, -v, -l, --timeout, --wait,
--history, --plain, --color) pass through; they are checked before the guest starts.`;

/** The repository (or installed package) root: the folder with bin/virtagent.js, from here up. */
function packageRoot(): string {
	let dir = path.dirname(fileURLToPath(import.meta.url));
	for (;;) {
		if (existsSync(path.join(dir, 'bin', 'virtagent.js')) && existsSync(path.join(dir, 'package.json'))) {
			return dir;
		}

		const parent = path.dirname(dir);
		if (parent === dir) {
			throw new Error('cannot find bin/virtagent.js above the demo module');
		}

		dir = parent;
	}
}

async function waitForSocket(socketPath: string, guest: ChildProcess, timeoutMs: number): Promise<void> {
	const started = Date.now();
	while (!existsSync(socketPath)) {
		if (guest.exitCode !== null || guest.signalCode !== null) {
			throw new Error(`the demo guest exited (${guest.exitCode ?? guest.signalCode}) before it listened`);
		}

		if (Date.now() - started > timeoutMs) {
			throw new Error(`the demo guest did not listen on ${socketPath} within ${timeoutMs / 1000}s`);
		}

		await new Promise(resolve => setTimeout(resolve, 20));
	}
}

async function stop(guest: ChildProcess): Promise<void> {
	if (guest.exitCode !== null || guest.signalCode !== null) {
		return;
	}

	const exited = new Promise<void>(resolve => guest.once('exit', () => resolve()));
	guest.kill('SIGTERM');
	const timer = setTimeout(() => guest.kill('SIGKILL'), 2000);
	await exited;
	clearTimeout(timer);
}

export async function demoMain(args: readonly string[], commands: readonly Command[], fleetCommands: readonly Command[] = []): Promise<number> {
	if (args.includes('--help') || args.includes('-h')) {
		console.log(demoUsage);
		return 0;
	}

	const forbidden = args.find(arg => ['--connect', '--listen', '--tcp', '--tcp-listen'].some(option => arg === option || arg.startsWith(`${option}=`)));
	if (forbidden) {
		console.error(`virtagent demo: ${forbidden.split('=')[0]!} is chosen by the demo itself (try --help)`);
		return 2;
	}

	// Every option is checked before a guest starts: a typo must not leave a daemon behind.
	let options;
	try {
		options = parseOptions(args, {targetGiven: true});
	} catch (error) {
		if (error instanceof UsageError) {
			console.error(`virtagent demo: ${error.message} (try --help)`);
			return 2;
		}

		throw error;
	}

	if (options === 'help') {
		console.log(demoUsage);
		return 0;
	}

	if (options === 'version') {
		console.log(`virtagent ${packageVersion}`);
		return 0;
	}

	const dir = mkdtempSync(path.join(tmpdir(), 'virtagent-demo-'));
	const socketPath = path.join(dir, 'va.sock');
	const guestLog = path.join(dir, 'guest.log');
	const logFd = openSync(guestLog, 'a');
	// Harmless: prints what a real guest would do. argv, never a shell (the guest splits it).
	const shutdownCommand = `'${process.execPath}' -e 'console.log("demo guest: a real guest would now shut down (" + process.argv[1] + ")")' {mode}`;
	const guest = spawn(
		process.execPath,
		[
			path.join(packageRoot(), 'bin', 'virtagent.js'),
			'guest',
			'--channel',
			'unix-listen',
			'--path',
			socketPath,
			'--shutdown-command',
			shutdownCommand,
			'--shutdown-delay',
			'1',
		],
		{stdio: ['ignore', logFd, logFd]},
	);
	closeSync(logFd);
	// A closed terminal (SIGHUP) or a kill (SIGTERM) ends the demo without its finally block:
	// stop the guest and remove the temporary folder here, then exit as the signal would.
	const onSignal = (signal: NodeJS.Signals) => {
		guest.kill('SIGTERM');
		rmSync(dir, {recursive: true, force: true});
		process.exit(128 + (signal === 'SIGHUP' ? 1 : 15));
	};

	process.once('SIGHUP', onSignal);
	process.once('SIGTERM', onSignal);
	try {
		await waitForSocket(socketPath, guest, 10_000);
		console.error(
			// Short lines: the banner is the first thing an 80-column terminal shows, and must not wrap.
			[
				`virtagent demo: guest daemon pid ${guest.pid} on ${socketPath}`,
				'The monitor is connected to it; agent_shutdown is harmless here.',
				'Try: help, agent_capabilities, agent_viewfile /etc/hostname',
			].join('\n'),
		);
		return await runMonitor({...options, target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}}}, commands, fleetCommands);
	} catch (error) {
		console.error(`virtagent demo: ${(error as Error).message}`);
		const tail = readFileSync(guestLog, 'utf8').trim().split('\n').slice(-10).join('\n');
		if (tail) {
			console.error(tail);
		}

		return 1;
	} finally {
		process.off('SIGHUP', onSignal);
		process.off('SIGTERM', onSignal);
		await stop(guest);
		rmSync(dir, {recursive: true, force: true});
	}
}
