/**
 * A guest reached through libvirt: libvirtd holds the qemu-ga socket of every domain it manages,
 * so each request goes through `virsh qemu-agent-command DOMAIN JSON` (an existing, maintained
 * engine that also reaches other hosts with `qemu+ssh://` URIs). This Channel lets the monitor's
 * own qemu-ga protocol run unchanged over it: each JSON line written is one virsh run, its
 * output the reply line. guest-sync(-delimited) is answered here: libvirt syncs with the agent
 * itself before every command, and a sync that went through would only sync libvirt's stream.
 */
import {execFile} from 'node:child_process';
import type {Channel, ChannelHandlers} from '../../transport/channel.js';
import {escapeLine} from '../escape.js';

/** `-c URI` when one is given (virsh's default connection otherwise). */
export function virshConnection(uri: string): string[] {
	return uri === '' ? [] : ['-c', uri];
}

export type VirshOptions = {
	/** The virsh executable (default: `virsh` on PATH). */
	readonly virsh?: string;
	/** How long one virsh run may take before it is killed (default 60 s; the command's own deadline is shorter). */
	readonly runTimeoutMs?: number;
};

/** Largest request line or reply taken (qemu-ga's own replies are bounded the same way by the protocol's limits). */
const lineMax = 16 * 1024 * 1024;
/** Requests waiting for their turn; qemu-ga serves one at a time anyway. */
const queueMax = 64;

type RunResult = {readonly ok: true; readonly stdout: string} | {readonly ok: false; readonly message: string};

/** One virsh run; never rejects. */
export async function runVirsh(args: readonly string[], options: VirshOptions = {}): Promise<RunResult> {
	return new Promise(resolve => {
		execFile(
			options.virsh ?? 'virsh',
			[...args],
			{timeout: options.runTimeoutMs ?? 60_000, maxBuffer: lineMax, encoding: 'utf8', env: {...process.env, LC_ALL: 'C'}},
			(error, stdout, stderr) => {
				if (error) {
					const said = stderr.split('\n').find(line => line.trim() !== '') ?? error.message;
					resolve({ok: false, message: said.replace(/^error: /u, '').slice(0, 500)});
				} else {
					resolve({ok: true, stdout});
				}
			},
		);
	});
}

export class VirshChannel implements Channel {
	readonly label: string;
	readonly #uri: string;
	readonly #domain: string;
	readonly #options: VirshOptions;
	#handlers: ChannelHandlers | undefined;
	#pending = Buffer.alloc(0);
	#queue: string[] = [];
	#running = false;
	#closed = false;

	constructor(uri: string, domain: string, options: VirshOptions = {}) {
		this.#uri = uri;
		this.#domain = domain;
		this.#options = options;
		this.label = `libvirt:${uri === '' ? '' : `${uri}/`}${domain}`;
	}

	start(handlers: ChannelHandlers): void {
		this.#handlers = handlers;
	}

	async write(data: Buffer): Promise<void> {
		if (this.#closed) {
			throw new Error('the libvirt channel is closed');
		}

		// qemu-ga's 0xFF (drop what was half read) has no meaning here: each request is its own run.
		this.#pending = Buffer.concat([this.#pending, data.filter(byte => byte !== 0xff)]);
		for (let end = this.#pending.indexOf(0x0a); end >= 0; end = this.#pending.indexOf(0x0a)) {
			const line = this.#pending.subarray(0, end).toString('utf8').trim();
			this.#pending = this.#pending.subarray(end + 1);
			if (line !== '') {
				this.#request(line);
			}
		}

		if (this.#pending.length > lineMax) {
			this.#pending = Buffer.alloc(0);
			this.#reply({error: {class: 'GenericError', desc: 'request too long for virsh'}});
		}
	}

	destroy(): void {
		if (!this.#closed) {
			this.#closed = true;
			this.#queue = [];
			this.#handlers?.close();
		}
	}

	#request(line: string): void {
		let request: {execute?: unknown; arguments?: {id?: unknown}; id?: unknown};
		try {
			request = JSON.parse(line) as typeof request;
		} catch {
			this.#reply({error: {class: 'GenericError', desc: 'JSON parse error'}});
			return;
		}

		if (request.execute === 'guest-sync-delimited' || request.execute === 'guest-sync') {
			// libvirt has synced with the agent already; answer as qemu-ga would.
			this.#reply({return: request.arguments?.id ?? null}, request.execute === 'guest-sync-delimited');
			return;
		}

		if (this.#queue.length >= queueMax) {
			this.#reply({error: {class: 'GenericError', desc: `more than ${queueMax} requests waiting for virsh`}, ...idOf(request)});
			return;
		}

		this.#queue.push(line);
		void this.#next();
	}

	async #next(): Promise<void> {
		if (this.#running || this.#closed) {
			return;
		}

		const line = this.#queue.shift();
		if (line === undefined) {
			return;
		}

		this.#running = true;
		const result = await runVirsh([...virshConnection(this.#uri), 'qemu-agent-command', this.#domain, line], this.#options);
		this.#running = false;
		if (this.#closed) {
			return;
		}

		if (result.ok) {
			this.#write(`${result.stdout.trim()}\n`);
		} else {
			const request = JSON.parse(line) as {id?: unknown};
			this.#reply({error: {class: 'GenericError', desc: `virsh: ${escapeLine(result.message)}`}, ...idOf(request)});
		}

		void this.#next();
	}

	#reply(reply: Record<string, unknown>, delimited = false): void {
		const body = Buffer.from(`${JSON.stringify(reply)}\n`, 'utf8');
		this.#deliver(delimited ? Buffer.concat([Buffer.from([0xff]), body]) : body);
	}

	#write(text: string): void {
		this.#deliver(Buffer.from(text, 'utf8'));
	}

	/** A reply is handed over on a later turn, as a socket would deliver it. */
	#deliver(bytes: Buffer): void {
		setImmediate(() => {
			if (!this.#closed) {
				this.#handlers?.data(bytes);
			}
		});
	}
}

function idOf(request: {id?: unknown}): {id?: unknown} {
	return request.id === undefined ? {} : {id: request.id};
}
