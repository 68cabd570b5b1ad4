import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import type {Channel, ChannelHandlers} from './channel.js';
import {encodePumpRecord, PumpRecordReader} from './pump-records.js';

export type PortLinkOptions = {
	/** e.g. `virtio-serial:/dev/virtio-ports/org.qemu.virtagent` */
	readonly label: string;
	/** Descriptor to read from and descriptor to write to (the same one for a port or a tty). */
	readonly readFd: number;
	readonly writeFd: number;
	/** A host session began: attach this channel. The first one starts at once (optimistically). */
	readonly onSession: (channel: Channel) => void;
	/** The host went away (read() returned 0); reported once per absence. */
	readonly onHostGone?: () => void;
	/** The pump failed for good (a read or write error, or it died). */
	readonly onError: (error: Error) => void;
	/** Pause between reads while no host is connected (default 100 ms). */
	readonly backoffMs?: number;
};

export type PortLink = {
	/** Stop the pump; the descriptors stay open (the caller owns them). Idempotent. */
	close(): void;
};

/** The compiled pump script next to this file, or under dist/ when this runs from the sources (tests). */
function pumpScript(): string {
	const sibling = fileURLToPath(new URL('port-pump-main.js', import.meta.url));
	return existsSync(sibling) ? sibling : fileURLToPath(new URL('../../dist/src/transport/port-pump-main.js', import.meta.url));
}

/** How to start the pump: Node with the pump script, unless usePumpCommand() said otherwise. */
let pumpCommand: (() => readonly [string, readonly string[]]) = () => [process.execPath, [pumpScript()]];

/**
 * The guest executable has no script files beside it: it starts the pump by re-running itself
 * (e.g. `usePumpCommand(process.execPath, ['--port-pump'])`).
 */
export function usePumpCommand(file: string, args: readonly string[]): void {
	pumpCommand = () => [file, args];
}

/**
 * A virtio-serial port or a tty as a series of Channels, one per host session: the blocking
 * descriptor I/O runs in a child pump (port-pump.ts explains why). A session ends when the host
 * goes away (the agent then fails its jobs, as on any channel loss); the next data starts a new
 * session, so the daemon says va.hello again.
 */
export function openPortLink(options: PortLinkOptions): PortLink {
	const [pumpFile, pumpArgs] = pumpCommand();
	const child: ChildProcess = spawn(pumpFile, pumpArgs, {
		stdio: ['pipe', 'pipe', 'inherit', options.readFd, options.writeFd],
		env: {...process.env, VA_PUMP_BACKOFF_MS: String(options.backoffMs ?? 100)},
	});
	let live: PortSession | undefined;
	let closed = false;

	const fail = (error: Error) => {
		if (closed) {
			return;
		}

		closed = true;
		live?.end(error);
		live = undefined;
		child.kill('SIGKILL');
		options.onError(error);
	};

	const newSession = () => {
		// Done once the pump has the frame, as a socket write is done once the kernel has it.
		// (Waiting for the port write itself would hold the server slot past the moment the
		// host has the reply and sends its next request.)
		const send = async (frame: Buffer) => new Promise<void>((resolve, reject) => {
			if (closed) {
				reject(new Error('port closed'));
				return;
			}

			child.stdin!.write(encodePumpRecord('W', frame), error => (error ? reject(error) : resolve()));
		});
		live = new PortSession(options.label, send, session => {
			if (live === session) {
				live = undefined;
			}
		});
		options.onSession(live.channel);
	};

	const reader = new PumpRecordReader();
	child.stdout!.on('data', (chunk: Buffer) => {
		for (const record of reader.push(chunk)) {
			if (record.type === 'D') {
				if (!live) {
					newSession();
				}

				live?.data(record.payload);
			} else if (record.type === 'G') {
				live?.end(new Error('the host side of the port is not connected'));
				live = undefined;
				options.onHostGone?.();
			} else if (record.type === 'E') {
				fail(new Error(`${options.label}: ${record.payload.toString()}`));
			}
		}
	});
	child.stdin!.on('error', () => {
		// The pump died; its exit reports why.
	});
	child.once('error', error => {
		fail(error);
	});
	child.once('exit', (code, signal) => {
		fail(new Error(`${options.label}: port pump exited (${signal ?? `code ${code}`})`));
	});

	newSession();
	return {
		close() {
			if (!closed) {
				closed = true;
				live?.end();
				live = undefined;
				child.kill('SIGKILL');
			}
		},
	};
}

/** One host session on the port. */
class PortSession {
	readonly channel: Channel;
	#handlers: ChannelHandlers | undefined;
	#early: Buffer[] = [];
	#ended = false;
	#endError: Error | undefined;

	constructor(
		label: string,
		send: (frame: Buffer) => Promise<void>,
		onEnd: (session: PortSession) => void,
	) {
		this.channel = {
			label,
			start: handlers => {
				this.#handlers = handlers;
				for (const chunk of this.#early.splice(0)) {
					handlers.data(chunk);
				}

				if (this.#ended) {
					handlers.close(this.#endError);
				}
			},
			write: async data => {
				if (this.#ended) {
					throw this.#endError ?? new Error('channel closed');
				}

				// The pump writes it whole while this session's host is there, or drops it whole.
				return send(data);
			},
			destroy: () => {
				this.end();
				onEnd(this);
			},
		};
	}

	data(chunk: Buffer): void {
		if (this.#ended) {
			return;
		}

		if (this.#handlers) {
			this.#handlers.data(chunk);
		} else {
			this.#early.push(chunk);
		}
	}

	end(error?: Error): void {
		if (this.#ended) {
			return;
		}

		this.#ended = true;
		this.#endError = error;
		this.#handlers?.close(error);
	}
}
