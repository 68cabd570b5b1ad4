/**
 * A libvirt-like channel tree on a temporary directory (`DIR/domain-N-NAME/org.qemu.virtagent`)
 * with a real `virtagent guest` daemon on each socket, and fleets opened over it in-process.
 */
import {spawn} from 'node:child_process';
import {existsSync, mkdirSync, rmSync} from 'node:fs';
import {afterEach, beforeAll} from 'vitest';
import path from 'node:path';
import {allCommands, fleetCommands} from '../../../commands/index.js';
import {Fleet, type GuestOpener} from '../../../src/monitor/fleet/fleet.js';
import {FleetSession, type FleetSessionOptions} from '../../../src/monitor/fleet/fleet-session.js';
import {guestOpener} from '../../../src/monitor/fleet/open-guest.js';
import {repoRoot, startGuest, type GuestProcess} from '../../guest/helpers.js';
import {tempDir, waitFor} from '../../helpers/socket-pair.js';
import {ensureBuilt} from '../helpers/cli.js';

export type TreeGuest = {readonly name: string; readonly directory: string; readonly socketPath: string; readonly daemon: GuestProcess};

export type ChannelTree = {
	readonly dir: string;
	/** A real guest daemon in `domain-ID-NAME/FILE`; resolves once its socket is there. */
	start(name: string, options?: {readonly id?: number; readonly file?: string}): Promise<TreeGuest>;
	/** The VM stops: its daemon ends and libvirt removes its directory. */
	stop(guest: TreeGuest): Promise<void>;
	close(): Promise<void>;
};

let nextId = 1;

export function channelTree(): ChannelTree {
	const {dir, remove} = tempDir('va-fleet-');
	const running = new Set<TreeGuest>();
	const tree: ChannelTree = {
		dir,
		async start(name, options = {}) {
			const directory = path.join(dir, `domain-${options.id ?? nextId++}-${name}`);
			mkdirSync(directory, {recursive: true});
			const socketPath = path.join(directory, options.file ?? 'org.qemu.virtagent');
			const daemon = startGuest(['--channel', 'unix-listen', '--path', socketPath, '--shutdown-command', 'true']);
			await waitFor(() => existsSync(socketPath), 10_000, `${name}'s socket; stderr:\n${daemon.lines.join('\n')}`);
			const guest = {name, directory, socketPath, daemon};
			running.add(guest);
			return guest;
		},
		async stop(guest) {
			running.delete(guest);
			await guest.daemon.stop('SIGKILL');
			rmSync(guest.directory, {recursive: true, force: true});
		},
		async close() {
			await Promise.all([...running].map(async guest => guest.daemon.stop('SIGKILL')));
			remove();
		},
	};
	return tree;
}

/** Each guest a real Session, as the CLI opens them. */
export function sessionOpener(timeoutMs = 5000, waitForGuest = true): GuestOpener {
	return guestOpener({commands: allCommands, timeoutMs, waitForGuest, retryMinMs: 50, retryMaxMs: 200});
}

export function fleetSession(fleet: Fleet, options: Partial<FleetSessionOptions> = {}): FleetSession {
	return new FleetSession(fleet, {commands: allCommands, fleetCommands, ...options});
}

/** COUNT guests in one process (bench/peers/guest-farm-main.ts: the real GuestDaemon on each socket), under `dir`. */
export async function guestFarm(dir: string, count: number, prefix = 'vm'): Promise<{stop(): Promise<void>}> {
	const farm = spawn(process.execPath, [path.join(repoRoot, 'dist/bench/peers/guest-farm-main.js'), dir, String(count), prefix], {
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	let output = '';
	farm.stdout.setEncoding('utf8');
	farm.stdout.on('data', (chunk: string) => {
		output += chunk;
	});
	await waitFor(() => output.includes('ready') || farm.exitCode !== null, 30_000, `${count} guests listening`);
	if (farm.exitCode !== null) {
		throw new Error(`the guest farm exited (${farm.exitCode})`);
	}

	const exited = new Promise(resolve => farm.once('exit', resolve));
	return {
		async stop() {
			if (farm.exitCode === null) {
				farm.kill('SIGKILL');
				await exited;
			}
		},
	};
}

/** A suite's cleanups, run newest first after each test; `built` also builds the CLI first (its tests run dist/). */
export function fleetSuite({built = false} = {}): Array<() => Promise<void> | void> {
	const cleanups: Array<() => Promise<void> | void> = [];
	afterEach(async () => {
		for (const cleanup of cleanups.splice(0).reverse()) {
			await cleanup();
		}
	});
	if (built) {
		beforeAll(() => {
			ensureBuilt();
		}, 60_000);
	}

	return cleanups;
}
