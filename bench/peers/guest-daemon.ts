import {closeSync, existsSync, openSync, readFileSync} from 'node:fs';
import type {Agent} from '../../src/engine/agent.js';
import {cliPath} from '../lib/paths.js';
import {type Child, pollUntil, startChild} from '../lib/process.js';
import {connectAgent} from './agents.js';

/**
 * The project's guest daemon (`virtagent guest`) as its own process, listening on a UNIX
 * socket, with the bench's host agent connected. va.shutdown is blocked AND its command is
 * `true`: nothing the bench does can shut this machine down.
 */
export type GuestDaemon = {
	readonly child: Child;
	readonly host: Agent;
	stop(): Promise<void>;
};

/** The daemon's arguments for `channel` on `socketPath`, made harmless. */
export function guestArgs(channel: 'unix-listen' | 'unix-connect', socketPath: string): string[] {
	return [cliPath, 'guest', '--channel', channel, '--path', socketPath, '--block-rpcs', 'va.shutdown', '--shutdown-command', 'true'];
}

export function guestDaemonAvailable(): boolean {
	return existsSync(cliPath.replace(/bin\/virtagent\.js$/, 'dist/src/guest/cli.js'));
}

/**
 * Its log (one info line per RPC, on stderr) goes to `socketPath`.log, as a service's log would:
 * the daemon pays for writing it, the bench does not pay for reading it.
 */
export async function startGuestDaemon(socketPath: string): Promise<GuestDaemon> {
	const logFile = `${socketPath}.log`;
	const logFd = openSync(logFile, 'w');
	const child = startChild(process.execPath, guestArgs('unix-listen', socketPath), {stdio: ['ignore', 'ignore', logFd]});
	closeSync(logFd);
	const lastLog = () => readFileSync(logFile, 'utf8').slice(-2000).trim();
	try {
		await pollUntil(() => existsSync(socketPath) || child.process.exitCode !== null, 10_000, "the guest daemon's socket");
		if (child.process.exitCode !== null) {
			throw new Error(`virtagent guest exited (${child.process.exitCode}): ${lastLog()}`);
		}

		// The socket file appears at bind(), a moment before listen(): retry a refused connect.
		let host: Agent | undefined;
		await pollUntil(
			async () => {
				host = await connectAgent(socketPath, 'host').catch(() => undefined);
				return host !== undefined || child.process.exitCode !== null;
			},
			10_000,
			'a connection to the guest daemon',
		);
		if (!host) {
			throw new Error(`virtagent guest exited (${child.process.exitCode}): ${lastLog()}`);
		}

		const connected = host;
		return {
			child,
			host: connected,
			async stop() {
				connected.close();
				await child.stop();
			},
		};
	} catch (error) {
		await child.stop();
		throw error;
	}
}

/**
 * A guest daemon for monitor processes to connect to: the bench's own host connection is closed
 * at once, since the daemon serves one host at a time.
 */
export async function startGuestDaemonForMonitors(socketPath: string, defer: (cleanup: () => unknown) => void): Promise<GuestDaemon> {
	const daemon = await startGuestDaemon(socketPath);
	defer(daemon.stop);
	daemon.host.close();
	return daemon;
}
