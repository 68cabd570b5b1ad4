/**
 * `--libvirt [URI]`: every running domain of a libvirt connection (`virsh list --name`), each a
 * qemu-ga guest reached through `virsh qemu-agent-command` (virsh-channel.ts), kept in step by
 * asking again every few seconds: domains that start appear, domains that stop go.
 */
import {Agent} from '../../engine/agent.js';
import {heldConnection} from '../connection.js';
import {escapeLine} from '../escape.js';
import {hostRegistry} from '../host-rpcs.js';
import {guestProtocolFactory} from '../qga/protocol-switch.js';
import {Session} from '../session.js';
import type {SessionOptions} from '../open-session.js';
import type {Fleet} from './fleet.js';
import type {LibvirtTarget} from './guest-spec.js';
import {runVirsh, virshConnection, VirshChannel, type VirshOptions} from './virsh-channel.js';

/** Domains taken from one listing, at most (a bound on what a broken virsh prints). */
const domainsMax = 4096;

/** The running domains' names; throws with virsh's own message when it cannot list them. */
export async function listDomains(uri: string, options: VirshOptions = {}): Promise<string[]> {
	const result = await runVirsh([...virshConnection(uri), 'list', '--name'], {runTimeoutMs: 20_000, ...options});
	if (!result.ok) {
		throw new Error(`virsh list: ${escapeLine(result.message)}`);
	}

	return result.stdout
		.split('\n')
		.map(line => line.trim())
		.filter(line => line !== '')
		.slice(0, domainsMax);
}

/** A Session for one libvirt domain: the qemu-ga protocol over virsh. */
export async function openLibvirtSession(
	target: LibvirtTarget,
	parts: Omit<SessionOptions, 'target' | 'protocol'>,
	options: VirshOptions = {},
): Promise<Session> {
	// As openSession's agent (--stall-timeout, -v), speaking qemu-ga's protocol over virsh.
	const agent = new Agent({
		name: 'host',
		registry: hostRegistry(),
		callTimeoutMs: parts.timeoutMs ?? 5000,
		protocol: guestProtocolFactory('qga'),
		...(parts.stallTimeoutMs === undefined ? {} : {limits: {headerStallMs: parts.stallTimeoutMs, bodyStallMs: parts.stallTimeoutMs}}),
	});
	agent.wireTap = parts.wireTap ?? false;
	const connection = heldConnection(agent, new VirshChannel(target.uri, target.domain, options));
	return new Session({...parts, agent, connection}).start();
}

export class LibvirtWatcher {
	readonly #fleet: Fleet;
	readonly #uri: string;
	readonly #warn: (message: string) => void;
	readonly #options: VirshOptions & {readonly pollMs?: number};
	/** Domain → the fleet's name for it. */
	readonly #known = new Map<string, Promise<string | undefined>>();
	#timer: NodeJS.Timeout | undefined;
	#failing = false;
	#closed = false;

	constructor(fleet: Fleet, uri: string, warn: (message: string) => void, options: VirshOptions & {readonly pollMs?: number} = {}) {
		this.#fleet = fleet;
		this.#uri = uri;
		this.#warn = warn;
		this.#options = options;
	}

	/** The first listing (its domains added), then one every few seconds. */
	async start(): Promise<void> {
		await this.poll();
		this.#timer = setInterval(() => {
			void this.poll();
		}, this.#options.pollMs ?? 5000);
		this.#timer.unref();
	}

	async poll(): Promise<void> {
		let domains: string[];
		try {
			domains = await listDomains(this.#uri, this.#options);
		} catch (error) {
			// Said once per outage, not every few seconds; the guests already known stay.
			if (!this.#failing) {
				this.#failing = true;
				this.#warn(`--libvirt: ${(error as Error).message}`);
			}

			return;
		}

		this.#failing = false;
		if (this.#closed) {
			return;
		}

		const running = new Set(domains);
		for (const [domain, name] of this.#known) {
			if (!running.has(domain)) {
				this.#known.delete(domain);
				void name.then(async known => (known === undefined ? undefined : this.#fleet.remove(known)));
			}
		}

		await Promise.all(
			domains
				.filter(domain => !this.#known.has(domain))
				.map(async domain => {
					const adding = this.#fleet.add({name: undefined, target: {mode: 'libvirt', uri: this.#uri, domain}, protocol: 'qga'}).then(guest => guest?.name);
					this.#known.set(domain, adding);
					await adding;
				}),
		);
	}

	close(): void {
		this.#closed = true;
		clearInterval(this.#timer);
	}
}
