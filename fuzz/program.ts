/** A program under test: a child process whose exit, stderr and resident memory are watched. */
import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

/** The repository: the nearest folder above this file that holds bin/virtagent.js (from fuzz/ or dist/fuzz/). */
function findRepoRoot(): string {
	let dir = path.dirname(fileURLToPath(import.meta.url));
	while (!existsSync(path.join(dir, 'bin/virtagent.js')) && path.dirname(dir) !== dir) {
		dir = path.dirname(dir);
	}

	return dir;
}

export const repoRoot = findRepoRoot();
export const binPath = path.join(repoRoot, 'bin/virtagent.js');

/** Resident set size in bytes (Linux), or 0 once the process is gone. */
export function residentBytes(pid: number): number {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'latin1');
		const line = status.split('\n').find(entry => entry.startsWith('VmRSS:'));
		return line === undefined ? 0 : Number.parseInt(line.slice(6), 10) * 1024;
	} catch {
		return 0;
	}
}

export type Program = {
	readonly child: ChildProcess;
	/** Set once the process has exited: its code or signal. */
	exit: string | undefined;
	readonly exited: Promise<string>;
	/** The last 64 KiB of stderr, for the crash report. */
	stderrTail(): string;
	/** Raw ESC (0x1B) or CSI (0x9B) bytes seen on stdout/stderr: untrusted data printed unescaped (§7). */
	rawEscapes: number;
	peakRss: number;
	stdoutLines: string[];
	/** Resolves true once stdout holds `count` lines, false after `ms`. */
	waitLines(count: number, ms: number): Promise<boolean>;
	stop(): Promise<void>;
};

/** Start `virtagent ARGS` with the RSS sampled every 100 ms. */
export function startProgram(args: readonly string[], options: {readonly stdin?: boolean} = {}): Program {
	const child = spawn(process.execPath, [binPath, ...args], {
		stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
		env: {...process.env, JOURNAL_STREAM: undefined, CI: 'true', NO_COLOR: '1'},
	});
	let stderr = '';
	let partial = '';
	const lineWaiters = new Set<() => void>();
	const program: Program = {
		child,
		exit: undefined,
		exited: new Promise(resolve => {
			child.once('exit', (code, signal) => {
				program.exit = String(code ?? signal);
				clearInterval(sampler);
				resolve(program.exit);
			});
		}),
		stderrTail: () => stderr,
		rawEscapes: 0,
		peakRss: 0,
		stdoutLines: [],
		async waitLines(count, ms) {
			if (program.stdoutLines.length >= count) {
				return true;
			}

			return new Promise(resolve => {
				const timer = setTimeout(() => {
					lineWaiters.delete(waiter);
					resolve(false);
				}, ms);
				const waiter = (): void => {
					if (program.stdoutLines.length >= count) {
						clearTimeout(timer);
						lineWaiters.delete(waiter);
						resolve(true);
					}
				};

				lineWaiters.add(waiter);
			});
		},
		async stop() {
			if (program.exit === undefined) {
				child.kill('SIGKILL');
			}

			await program.exited;
		},
	};
	const countEscapes = (chunk: Buffer): void => {
		for (const byte of chunk) {
			if (byte === 0x1b || byte === 0x9b) {
				program.rawEscapes++;
			}
		}
	};

	child.stderr!.on('data', (chunk: Buffer) => {
		countEscapes(chunk);
		stderr = (stderr + chunk.toString('utf8')).slice(-65_536);
	});
	child.stdout!.on('data', (chunk: Buffer) => {
		countEscapes(chunk);
		partial += chunk.toString('utf8');
		const lines = partial.split('\n');
		partial = lines.pop()!;
		program.stdoutLines.push(...lines);
		for (const waiter of [...lineWaiters]) {
			waiter();
		}
	});
	const sampler = setInterval(() => {
		program.peakRss = Math.max(program.peakRss, residentBytes(child.pid!));
	}, 100);
	return program;
}

export const sleep = async (ms: number): Promise<void> =>
	new Promise(resolve => {
		setTimeout(resolve, ms);
	});

/** Poll until `condition` holds or `ms` pass; true if it held. */
export async function until(condition: () => boolean, ms: number, everyMs = 20): Promise<boolean> {
	const end = Date.now() + ms;
	while (!condition()) {
		if (Date.now() > end) {
			return false;
		}

		await sleep(everyMs);
	}

	return true;
}
