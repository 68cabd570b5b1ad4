/**
 * The real qemu-ga (Debian's qemu-guest-agent) on a temporary UNIX socket, ALWAYS with the block
 * list of docs/QGA.md: everything `qemu-ga -b help` names except the harmless commands below.
 * It runs on THIS machine, so `start` refuses to hand it out unless guest-info says exactly the
 * allowed commands are enabled.
 */
import {execFileSync, spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import path from 'node:path';
import {connectEndpoint} from '../../src/transport/endpoint.js';
import {QgaClient} from './qga-client.js';
import {waitFor} from './socket-pair.js';

export const allowedQgaCommands: ReadonlySet<string> = new Set([
	'guest-sync',
	'guest-sync-delimited',
	'guest-ping',
	'guest-info',
	'guest-get-osinfo',
	'guest-get-host-name',
	'guest-get-time',
	'guest-file-open',
	'guest-file-read',
	'guest-file-close',
]);

export function findQemuGa(): string {
	const binary = ['/usr/sbin/qemu-ga', '/usr/bin/qemu-ga'].find(file => existsSync(file));
	if (!binary) {
		throw new Error('qemu-ga not found: install the Debian package qemu-guest-agent (.ci/run does)');
	}

	return binary;
}

export type RealQemuGa = {
	readonly path: string;
	readonly pid: number;
	readonly version: string;
	/** SIGKILL, as a crash would. */
	kill(): Promise<void>;
	/** Start it again on the same socket and state directory (checked again). */
	restart(): Promise<RealQemuGa>;
	stop(): Promise<void>;
};

export async function startRealQemuGa(dir: string): Promise<RealQemuGa> {
	const binary = findQemuGa();
	const known = execFileSync(binary, ['-b', 'help'], {encoding: 'utf8'}).split(/\s+/).filter(Boolean);
	const blocked = known.filter(name => !allowedQgaCommands.has(name));
	const socketPath = path.join(dir, 'qga.sock');
	const child = spawn(binary, ['-m', 'unix-listen', '-p', socketPath, '-t', dir, '-l', path.join(dir, 'qga.log'), '-b', blocked.join(',')], {
		stdio: ['ignore', 'ignore', 'pipe'],
	});
	const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
	const stop = async (signal: NodeJS.Signals) => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill(signal);
		}

		await exited;
	};

	try {
		await waitFor(() => existsSync(socketPath) || child.exitCode !== null, 5000, 'the qemu-ga socket');
		if (child.exitCode !== null) {
			throw new Error(`qemu-ga exited with ${child.exitCode}`);
		}

		const version = await checkOnlyAllowedEnabled(socketPath);
		return {
			path: socketPath,
			pid: child.pid!,
			version,
			kill: async () => stop('SIGKILL'),
			async restart() {
				await stop('SIGKILL');
				return startRealQemuGa(dir);
			},
			stop: async () => stop('SIGTERM'),
		};
	} catch (error) {
		await stop('SIGKILL');
		throw error;
	}
}

/** guest-info over a fresh connection; throws unless exactly the allowed commands are enabled. */
async function checkOnlyAllowedEnabled(socketPath: string): Promise<string> {
	let lastError: unknown;
	for (let attempt = 0; attempt < 50; attempt++) {
		try {
			return await checkOnce(socketPath);
		} catch (error) {
			if ((error as Error).message.includes('enabled')) {
				throw error;
			}

			lastError = error;
			await new Promise(resolve => setTimeout(resolve, 20));
		}
	}

	throw lastError as Error;
}

async function checkOnce(socketPath: string): Promise<string> {
	const client = new QgaClient(await connectEndpoint({kind: 'unix', path: socketPath}), {timeoutMs: 3000});
	try {
		const info = (await client.execute('guest-info')) as {version: string; supported_commands: Array<{name: string; enabled: boolean}>};
		const enabled = info.supported_commands.filter(command => command.enabled).map(command => command.name);
		const unexpected = enabled.filter(name => !allowedQgaCommands.has(name));
		const missing = [...allowedQgaCommands].filter(name => !enabled.includes(name));
		if (unexpected.length > 0 || missing.length > 0) {
			throw new Error(
				`qemu-ga has the wrong commands enabled (unexpected: ${unexpected.join(', ') || 'none'}; missing: ${missing.join(', ') || 'none'}); refusing to use it`,
			);
		}

		return info.version;
	} finally {
		client.close();
	}
}
