import {spawn, type ChildProcess} from 'node:child_process';
import {readdirSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {Agent} from '../../src/engine/agent.js';
import type {EngineEvent} from '../../src/engine/events.js';
import {RpcFaultError} from '../../src/engine/errors.js';
import {MethodRegistry} from '../../src/engine/registry.js';
import {connectEndpoint} from '../../src/transport/endpoint.js';
import {waitFor} from '../helpers/socket-pair.js';
import {ensureBuilt} from '../monitor/helpers/cli.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const binPath = path.join(repoRoot, 'bin/virtagent.js');
/**
 * VA_GUEST_EXE=dist/virtagent-guest (`npm run test:guest-exe`) runs every guest test against the
 * single executable instead of `node bin/virtagent.js guest`.
 */
export const guestExe = process.env['VA_GUEST_EXE'] ? path.resolve(repoRoot, process.env['VA_GUEST_EXE']) : undefined;

/** The command that starts the guest daemon with these arguments. */
export function guestCommand(args: readonly string[]): [string, string[]] {
	if (guestExe) {
		return [guestExe, [...args]];
	}

	// The daemon runs from dist/: rebuild it first if any source is newer (once per test file).
	if (!builtChecked) {
		ensureBuilt();
		builtChecked = true;
	}

	return [process.execPath, [binPath, 'guest', ...args]];
}

let builtChecked = false;

/** A `virtagent guest` child process with its stderr collected line by line. */
export type GuestProcess = {
	readonly child: ChildProcess;
	readonly lines: string[];
	/** Resolve when a stderr line matches (after `from`, an index into lines). */
	waitForLine(pattern: RegExp, options?: {from?: number; timeoutMs?: number}): Promise<string>;
	/** Resolves with the exit code (or signal name). */
	readonly exited: Promise<number | string>;
	stop(signal?: NodeJS.Signals): Promise<number | string>;
};

export function startGuest(args: readonly string[], env: NodeJS.ProcessEnv = {}): GuestProcess {
	const [file, fileArgs] = guestCommand(args);
	const child = spawn(file, fileArgs, {
		stdio: ['ignore', 'pipe', 'pipe'],
		// Timestamped lines, not the journal's `<N>` prefixes, whatever runs the tests.
		env: {...process.env, JOURNAL_STREAM: undefined, ...env},
	});
	const lines: string[] = [];
	let partial = '';
	child.stderr!.setEncoding('utf8');
	child.stderr!.on('data', (chunk: string) => {
		partial += chunk;
		const parts = partial.split('\n');
		partial = parts.pop()!;
		lines.push(...parts);
	});
	child.stdout!.resume();
	const exited = new Promise<number | string>(resolve => {
		child.once('exit', (code, signal) => {
			resolve(code ?? signal ?? -1);
		});
	});
	let exitCode: number | string | undefined;
	void exited.then(code => {
		exitCode = code;
	});
	return {
		child,
		lines,
		async waitForLine(pattern, options = {}) {
			let found: string | undefined;
			await waitFor(
				() => {
					if (exitCode !== undefined) {
						throw new Error(`guest exited (${exitCode}) before logging ${pattern}:\n${lines.join('\n')}`);
					}

					found = lines.slice(options.from ?? 0).find(line => pattern.test(line));
					return found !== undefined;
				},
				options.timeoutMs ?? 5000,
				`a guest log line matching ${pattern}; got:\n${lines.join('\n')}`,
			);
			return found!;
		},
		exited,
		async stop(signal = 'SIGTERM') {
			if (exitCode === undefined) {
				child.kill(signal);
			}

			return exited;
		},
	};
}

/** The project's own engine as the host end: serves va.hello and records each hello. */
export type Host = {
	readonly agent: Agent;
	readonly events: EngineEvent[];
	hellos: number;
	close(): void;
};

export function makeHost(options: {serveHello?: boolean; bodyMax?: number} = {}): Host {
	const registry = new MethodRegistry();
	const host: Host = {
		agent: new Agent({name: 'host', registry, ...(options.bodyMax ? {limits: {bodyMax: options.bodyMax}} : {})}),
		events: [],
		hellos: 0,
		close() {
			host.agent.close();
		},
	};
	registry.register('va.ping', 'ping', () => 'dummy');
	if (options.serveHello ?? true) {
		registry.register('va.hello', 'hello', () => {
			host.hellos++;
			return 'dummy';
		});
	}

	host.agent.subscribe(event => host.events.push(event));
	return host;
}

/** Connect the host to a guest listening on a UNIX socket (retrying until it listens). */
export async function connectHost(host: Host, socketPath: string, timeoutMs = 5000): Promise<void> {
	const start = Date.now();
	for (;;) {
		try {
			host.agent.attach(await connectEndpoint({kind: 'unix', path: socketPath}));
			return;
		} catch (error) {
			if (Date.now() - start > timeoutMs) {
				throw error;
			}

			await new Promise(resolve => setTimeout(resolve, 20));
		}
	}
}

/** Open descriptors of a process (Linux /proc). */
export function openFdCount(pid: number): number {
	return readdirSync(`/proc/${pid}/fd`).length;
}

export {waitFor};

/** The RPCFailed error a call rejects with (the test fails if it resolves or fails otherwise). */
export async function faultOf(promise: Promise<unknown>): Promise<RpcFaultError> {
	const error = await promise.then(
		() => undefined,
		(error_: unknown) => error_,
	);
	if (!(error instanceof RpcFaultError)) {
		throw new Error(`expected an RPCFailed error, got ${String(error)}`);
	}

	return error;
}
