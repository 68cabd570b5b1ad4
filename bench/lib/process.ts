import {type ChildProcess, spawn, type SpawnOptions} from 'node:child_process';
import {readFileSync} from 'node:fs';

/** A child this bench started; `stop` ends it by its own pid only. */
export type Child = {
	readonly process: ChildProcess;
	readonly pid: number;
	/** Everything it wrote to stderr so far (for error messages). */
	stderr(): string;
	stop(): Promise<void>;
};

export function startChild(command: string, args: readonly string[], options: SpawnOptions = {}): Child {
	const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe'], ...options});
	let stderr = '';
	child.stderr?.setEncoding('utf8');
	child.stderr?.on('data', (text: string) => {
		stderr = (stderr + text).slice(-4000);
	});
	const exited = new Promise<void>(resolve => {
		if (child.exitCode !== null || child.signalCode !== null) {
			resolve();
		} else {
			child.once('exit', () => resolve());
		}
	});
	return {
		process: child,
		pid: child.pid ?? -1,
		stderr: () => stderr,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGTERM');
				const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
				await exited;
				clearTimeout(timer);
			}
		},
	};
}

/** Resolves with the first stdout line matching `pattern`; rejects if the child exits first. */
export async function waitForLine(child: Child, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
	const stdout = child.process.stdout;
	if (!stdout) {
		throw new Error('child has no stdout pipe');
	}

	return new Promise((resolve, reject) => {
		let buffered = '';
		const finish = (error: Error | undefined, match?: RegExpMatchArray) => {
			clearTimeout(timer);
			stdout.off('data', onData);
			child.process.off('exit', onExit);
			if (error) {
				reject(error);
			} else {
				resolve(match!);
			}
		};

		const onData = (chunk: Buffer) => {
			buffered += chunk.toString('utf8');
			const lines = buffered.split('\n');
			buffered = lines.pop()!;
			for (const line of lines) {
				const match = pattern.exec(line);
				if (match) {
					finish(undefined, match);
					return;
				}
			}
		};

		const onExit = (code: number | null) => {
			finish(new Error(`child exited (${code}) before printing ${pattern}: ${child.stderr().trim()}`));
		};

		const timer = setTimeout(() => {
			finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms: ${child.stderr().trim()}`));
		}, timeoutMs);
		stdout.on('data', onData);
		child.process.once('exit', onExit);
	});
}

/** Resident memory of a process in bytes (Linux /proc). */
export function residentBytes(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
	if (!match) {
		throw new Error(`no VmRSS for pid ${pid}`);
	}

	return Number(match[1]) * 1024;
}

/** Resolve when `predicate` holds, polling; reject after `timeoutMs`. */
export async function pollUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
	const start = Date.now();
	while (!(await predicate())) {
		if (Date.now() - start > timeoutMs) {
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		}

		await new Promise(resolve => setTimeout(resolve, 10));
	}
}
