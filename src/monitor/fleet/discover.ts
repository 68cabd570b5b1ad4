/**
 * `--discover DIR`: every agent socket under DIR in libvirt's layout, one directory per running
 * domain (`DIR/domain-3-web1/org.qemu.guest_agent.0`, `…/org.qemu.virtagent`), kept in step with
 * the disk: a VM that starts appears, a VM that stops goes. fs.watch on DIR and on each domain
 * directory says when to look again; a slow rescan catches what a watch may miss (a watch that
 * could not be set, an event dropped under load).
 */
import {watch, type FSWatcher} from 'node:fs';
import {readdir, stat} from 'node:fs/promises';
import path from 'node:path';
import {escapeLine} from '../escape.js';
import type {Fleet} from './fleet.js';
import type {GuestProtocol} from '../qga/protocol-switch.js';
import type {GuestSpec} from './guest-spec.js';

/** The channel files looked for in each domain directory, with the protocol each one speaks. */
export const channelFiles: ReadonlyArray<readonly [string, GuestProtocol]> = [
	['org.qemu.guest_agent.0', 'qga'],
	['org.qemu.virtagent', 'virtagent'],
];

/** With every watch in place, one rescan tick in this many looks at the disk (15 s → 60 s). */
const quietRescanEvery = 4;

export type DiscoveryOptions = {
	/**
	 * The safety-net rescan (default 15 s while a watch could not be set, 4× that while every one is
	 * in place: the watches see changes at once; this only catches what they miss).
	 */
	readonly rescanMs?: number;
	/** Events coming in a burst are one scan (default 50 ms). */
	readonly settleMs?: number;
	/** Domain directories looked at, at most (a bound on a hostile or broken tree). */
	readonly maxDomains?: number;
};

export type FoundSockets = {
	readonly found: Map<string, GuestProtocol>;
	/** Paths the disk could not tell about (EMFILE, EACCES, ELOOP…): a failed look is not a VM that stopped. */
	readonly unsure: Set<string>;
};

/** The agent sockets under `directory` now, with their protocol; a missing directory has none; undefined when DIR itself could not be read. */
export async function findAgentSockets(directory: string, maxDomains = 4096): Promise<FoundSockets | undefined> {
	const found = new Map<string, GuestProtocol>();
	const unsure = new Set<string>();
	let entries;
	try {
		entries = await readdir(directory, {withFileTypes: true});
	} catch (error) {
		return isGone(error) ? {found, unsure} : undefined;
	}

	const domains = entries.filter(entry => entry.isDirectory()).slice(0, maxDomains);
	// One readdir per domain, not a stat per channel name: at 1,000 domains a scan cost 37-57 ms
	// of CPU that way (half of it the ENOENT errors of the name not there), 16-24 ms this way.
	await Promise.all(
		domains.map(async domain => {
			const domainPath = path.join(directory, domain.name);
			let files;
			try {
				files = await readdir(domainPath, {withFileTypes: true});
			} catch (error) {
				// Gone (the VM stopped): nothing here. Anything else proves nothing either way.
				if (!isGone(error)) {
					for (const [file] of channelFiles) {
						unsure.add(path.join(domainPath, file));
					}
				}

				return;
			}

			await Promise.all(
				files.map(async entry => {
					const protocol = channelProtocols.get(entry.name);
					if (protocol !== undefined && (entry.isSocket() || entry.isSymbolicLink())) {
						await lookAt(path.join(domainPath, entry.name), protocol, entry.isSocket(), {found, unsure});
					}
				}),
			);
		}),
	);
	return {found, unsure};
}

const channelProtocols: ReadonlyMap<string, GuestProtocol> = new Map(channelFiles);

/** A socket counts; so does a symlink to one (stat, not lstat: it follows the link). */
async function lookAt(socketPath: string, protocol: GuestProtocol, isSocket: boolean, {found, unsure}: FoundSockets): Promise<void> {
	try {
		if (isSocket || (await stat(socketPath)).isSocket()) {
			found.set(socketPath, protocol);
		}
	} catch (error) {
		// A dangling link: not there (yet), the next scan looks again. ELOOP, EACCES…: unsure.
		if (!isGone(error)) {
			unsure.add(socketPath);
		}
	}
}

function isGone(error: unknown): boolean {
	const code = (error as NodeJS.ErrnoException).code;
	return code === 'ENOENT' || code === 'ENOTDIR';
}

export class DiscoveryWatcher {
	readonly #fleet: Fleet;
	readonly #directory: string;
	readonly #warn: (message: string) => void;
	readonly #options: Required<DiscoveryOptions>;
	/** Socket path → the fleet's name for it (a promise while it is being added). */
	readonly #known = new Map<string, Promise<string | undefined>>();
	readonly #watchers = new Map<string, FSWatcher>();
	#rescan: NodeJS.Timeout | undefined;
	#settle: NodeJS.Timeout | undefined;
	#scanning: Promise<void> | undefined;
	#again = false;
	#watchFailed = false;
	#quietTicks = 0;
	#closed = false;

	constructor(fleet: Fleet, directory: string, warn: (message: string) => void, options: DiscoveryOptions = {}) {
		this.#fleet = fleet;
		this.#directory = path.resolve(directory);
		this.#warn = warn;
		this.#options = {rescanMs: options.rescanMs ?? 15_000, settleMs: options.settleMs ?? 50, maxDomains: options.maxDomains ?? 4096};
	}

	/** The first scan (its guests added), then the watches and the rescan timer. */
	async start(): Promise<void> {
		this.#watch(this.#directory);
		await this.scan();
		this.#rescan = setInterval(() => {
			// While every watch is in place they see changes at once: the safety net then runs a quarter as often.
			if (this.#watchFailed || !this.#watchers.has(this.#directory) || ++this.#quietTicks % quietRescanEvery === 0) {
				void this.scan();
			}
		}, this.#options.rescanMs);
		this.#rescan.unref();
	}

	/** Look at the disk now; a scan asked for while one runs runs once more after it. */
	async scan(): Promise<void> {
		if (this.#scanning) {
			this.#again = true;
			return this.#scanning;
		}

		this.#scanning = this.#scanOnce().finally(() => {
			this.#scanning = undefined;
			if (this.#again && !this.#closed) {
				this.#again = false;
				void this.scan();
			}
		});
		return this.#scanning;
	}

	close(): void {
		this.#closed = true;
		clearInterval(this.#rescan);
		clearTimeout(this.#settle);
		for (const watcher of this.#watchers.values()) {
			watcher.close();
		}

		this.#watchers.clear();
	}

	async #scanOnce(): Promise<void> {
		const sockets = await findAgentSockets(this.#directory, this.#options.maxDomains);
		if (this.#closed || sockets === undefined) {
			return;
		}

		const {found, unsure} = sockets;

		this.#watchDomains();
		const gone = [...this.#known.keys()].filter(socketPath => !found.has(socketPath) && !unsure.has(socketPath));
		const added = [...found].filter(([socketPath]) => !this.#known.has(socketPath));
		for (const socketPath of gone) {
			const name = this.#known.get(socketPath)!;
			this.#known.delete(socketPath);
			void name.then(async known => (known === undefined ? undefined : this.#fleet.remove(known)));
		}

		await Promise.all(
			added.map(async ([socketPath, protocol]) => {
				const spec: GuestSpec = {name: undefined, target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}}, protocol};
				const adding = this.#fleet.add(spec).then(guest => guest?.name);
				this.#known.set(socketPath, adding);
				await adding;
			}),
		);
	}

	/** A watch on DIR and on each domain directory in it (sockets appear inside those). */
	#watchDomains(): void {
		const domains = new Set([this.#directory, ...[...this.#known.keys()].map(socketPath => path.dirname(socketPath))]);
		void readdir(this.#directory, {withFileTypes: true})
			.then(entries => {
				for (const entry of entries.filter(item => item.isDirectory()).slice(0, this.#options.maxDomains)) {
					domains.add(path.join(this.#directory, entry.name));
				}

				for (const [watched, watcher] of this.#watchers) {
					if (!domains.has(watched)) {
						watcher.close();
						this.#watchers.delete(watched);
					}
				}

				for (const domain of domains) {
					this.#watch(domain);
				}
			})
			.catch(() => undefined);
	}

	#watch(directory: string): void {
		if (this.#closed || this.#watchers.has(directory)) {
			return;
		}

		try {
			const watcher = watch(directory, {persistent: false}, () => {
				this.#soon();
			});
			watcher.on('error', () => {
				watcher.close();
				this.#watchers.delete(directory);
				this.#soon();
			});
			this.#watchers.set(directory, watcher);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !this.#watchFailed) {
				// Out of inotify watches, say: the rescan still finds every change, only later.
				this.#watchFailed = true;
				this.#warn(
					`--discover ${escapeLine(this.#directory)}: cannot watch ${escapeLine(directory)} (${escapeLine((error as Error).message)}): rescanning every ${this.#options.rescanMs / 1000}s`,
				);
			}
		}
	}

	#soon(): void {
		if (this.#closed) {
			return;
		}

		clearTimeout(this.#settle);
		this.#settle = setTimeout(() => {
			void this.scan();
		}, this.#options.settleMs);
	}
}
