/** The built CLI as child processes: `node bin/virtagent.js …`. */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {existsSync, readdirSync, statSync, utimesSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {waitFor} from '../../helpers/socket-pair.js';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const binPath = path.join(repoRoot, 'bin', 'virtagent.js');

/** The compiled files older than their source (or missing), under `dir`. */
function staleOutputs(dir: string): string[] {
	const stale: string[] = [];
	for (const entry of readdirSync(path.join(repoRoot, dir), {withFileTypes: true})) {
		const relative = path.join(dir, entry.name);
		if (entry.isDirectory()) {
			stale.push(...staleOutputs(relative));
		} else if (/\.tsx?$/u.test(entry.name) && !entry.name.endsWith('.d.ts')) {
			const built = path.join(repoRoot, 'dist', relative.replace(/\.tsx?$/u, '.js'));
			if (!existsSync(built) || statSync(built).mtimeMs < statSync(path.join(repoRoot, relative)).mtimeMs) {
				stale.push(built);
			}
		}
	}

	return stale;
}

/** `tsc -p tsconfig.build.json` unless dist/ is already newer than every source (`npm test` builds first). */
export function ensureBuilt(): void {
	const stale = [...staleOutputs('src'), ...staleOutputs('commands')];
	if (stale.length === 0) {
		return;
	}

	try {
		execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {cwd: repoRoot, stdio: 'pipe'});
	} catch (error) {
		// A failed build must not let the tests run an old dist/ and pass.
		const {stdout, stderr} = error as {stdout?: Buffer; stderr?: Buffer};
		throw new Error(`tsc -p tsconfig.build.json failed:\n${String(stdout ?? '')}${String(stderr ?? '')}`);
	}

	// The build is incremental: a source touched without a change in its output (a checkout, a
	// merge) keeps its old output file, which would look stale to every later test file and
	// rebuild each time. The build succeeded, so those outputs are current.
	const now = new Date();
	for (const built of stale) {
		if (existsSync(built)) {
			utimesSync(built, now, now);
		}
	}
}

export type Run = {readonly code: number | null; readonly stdout: string; readonly stderr: string};

/** Run the CLI to completion, with `input` on stdin (a pipe, never a TTY). */
export async function runCli(args: readonly string[], input = '', timeoutMs = 15_000): Promise<Run> {
	const child = spawn(process.execPath, [binPath, ...args], {stdio: ['pipe', 'pipe', 'pipe'], env: {...process.env, JOURNAL_STREAM: undefined}});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	child.stdin.end(input);
	const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
	const code = await new Promise<number | null>(resolve => child.once('exit', resolve));
	clearTimeout(timer);
	return {code, stdout, stderr};
}

/** A long-running child with its output collected (a guest daemon, a monitor fed line by line). */
export type Child = {
	readonly child: ChildProcess;
	stdout(): string;
	stderr(): string;
	waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
	stop(): Promise<void>;
};

export function startCli(args: readonly string[]): Child {
	const child = spawn(process.execPath, [binPath, ...args], {stdio: ['pipe', 'pipe', 'pipe'], env: {...process.env, JOURNAL_STREAM: undefined}});
	let out = '';
	let err = '';
	child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
	child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
	const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
	return {
		child,
		stdout: () => out,
		stderr: () => err,
		async waitForOutput(pattern, timeoutMs = 5000) {
			await waitFor(() => pattern.test(out), timeoutMs, `output matching ${pattern}; stdout:\n${out}\nstderr:\n${err}`);
		},
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGTERM');
			}

			await exited;
		},
	};
}
