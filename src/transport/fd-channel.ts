import fs from 'node:fs';
import type {Channel, ChannelHandlers} from './channel.js';
import {pollDescriptor, type DeviceHandlers, type PolledDevice} from './polled-device.js';

/**
 * Non-blocking descriptors of a port, a tty or a FIFO pair: the same one twice for a port or a
 * tty.
 */
export type Descriptors = {
	readonly readFd: number;
	readonly writeFd: number;
};

export type PortLinkOptions = {
	/** e.g. `virtio-serial:/dev/virtio-ports/org.qemu.virtagent` */
	readonly label: string;
	/** Opens the device (again after each absence of the host); throws a one-line error. */
	readonly open: () => Descriptors;
	/** A host session began: attach this channel. The first one starts at once (optimistically). */
	readonly onSession: (channel: Channel) => void;
	/** The host went away (read() returned 0); reported once per absence. */
	readonly onHostGone?: () => void;
	/** The link failed for good (the device cannot be opened or polled, a read or write error). */
	readonly onError: (error: Error) => void;
	/** First pause before looking for the host again while it is away (default 100 ms). */
	readonly backoffMs?: number;
	/** Bytes queued for the device beyond which the session is dropped (default 64 MiB). */
	readonly maxQueuedBytes?: number;
};

export type PortLink = {
	/** Stop, and close the device. Idempotent. */
	close(): void;
};

// While the host stays away the probe slows down to this: each one costs a wake-up, and under
// software emulation 10 of them a second were ~2% of the guest's CPU. A host that comes back is
// noticed within this long; one that merely restarts (seconds) within ~100-400 ms.
const backoffMaxMs = 1000;
const defaultMaxQueuedBytes = 64 * 1024 * 1024;

/**
 * A virtio-serial port or a tty as a series of Channels, one per host session, read and written
 * by this process's event loop (polled-device.ts). Port semantics (measured, see docs/guest.md): read()
 * returning 0 means "no host on the other end", not end of stream. Then the session ends (the
 * agent fails its jobs, as on any channel loss), frames still queued are dropped whole, and the
 * device is opened again but not polled (poll() says "readable" all the time while no host is
 * there): one non-blocking read now and then (100 ms, slowing to 1 s) looks for the host, as
 * cheap as it gets while idle. EAGAIN means a host is there; the first data starts a new
 * session, so the daemon says va.hello again. The descriptors must be non-blocking (O_NONBLOCK)
 * for that read. Exiting needs nothing special: no thread is ever blocked on the device.
 */
export function openPortLink(options: PortLinkOptions): PortLink {
	const backoffMs = options.backoffMs ?? 100;
	const maxQueued = options.maxQueuedBytes ?? defaultMaxQueuedBytes;
	const probeBuffer = Buffer.alloc(64 * 1024);
	let reader: PolledDevice | undefined;
	let writer: PolledDevice | undefined;
	/** Open while the host is away and the device is only probed. */
	let probing: Descriptors | undefined;
	let live: PortSession | undefined;
	let away = false;
	let awayDelayMs = backoffMs;
	let retry: NodeJS.Timeout | undefined;
	let closed = false;

	const closeDevice = () => {
		reader?.destroy();
		writer?.destroy();
		reader = undefined;
		writer = undefined;
		if (probing) {
			closeDescriptors(probing);
			probing = undefined;
		}
	};

	const fail = (error: Error) => {
		if (closed) {
			return;
		}

		closed = true;
		clearTimeout(retry);
		live?.end(error);
		live = undefined;
		closeDevice();
		options.onError(error);
	};

	const newSession = (output: PolledDevice) => {
		// Done once the kernel has the frame, as on a socket. Bounded: a host that stops reading
		// must not make the daemon queue without end.
		const send = (frame: Buffer): Promise<void> | 'flushed' => {
			if (output.queuedBytes + frame.length > maxQueued) {
				const error = new Error(`more than ${maxQueued} bytes queued for the port: the host does not read`);
				if (output === writer) {
					dropSession(error, false);
				}

				return Promise.reject(error);
			}

			return output.write(frame);
		};
		live = new PortSession(options.label, send, session => {
			if (live === session) {
				live = undefined;
			}
		});
		options.onSession(live.channel);
	};

	const received = (output: PolledDevice, chunk: Buffer) => {
		if (!live) {
			newSession(output);
		}

		away = false;
		awayDelayMs = backoffMs;
		live!.data(chunk);
	};

	/** The host is there: poll the device; `first` is data a probe already read. */
	const poll = (descriptors: Descriptors, first?: Buffer) => {
		let input: PolledDevice | undefined;
		let output: PolledDevice | undefined;
		const {readFd, writeFd} = descriptors;
		const mine = () => input !== undefined && reader === input;
		const handlers: DeviceHandlers = {
			data(chunk) {
				if (mine()) {
					received(output!, chunk);
				}
			},
			end() {
				if (mine()) {
					dropSession(new Error('the host side of the port is not connected'), true);
				}
			},
			error(error) {
				if (mine()) {
					fail(new Error(`${options.label}: ${error.message}`));
				}
			},
		};
		try {
			input = pollDescriptor(readFd, readFd === writeFd ? 'both' : 'read', handlers);
			output = readFd === writeFd ? input : pollDescriptor(writeFd, 'write', handlers);
		} catch (error) {
			// A device that was made owns its descriptor; the others are still ours to close.
			if (input) {
				input.destroy();
			} else {
				fs.closeSync(readFd);
			}

			if (writeFd !== readFd) {
				fs.closeSync(writeFd);
			}

			fail(new Error(`${options.label}: ${(error as Error).message}`));
			return;
		}

		reader = input;
		writer = output;
		if (first) {
			received(output, first);
		} else if (!away && !live) {
			// The first session starts at once: the host may be there already, waiting for a hello.
			newSession(output);
		}
	};

	/** While the host is away: one non-blocking read now and then. */
	const probe = () => {
		retry = undefined;
		const descriptors = probing!;
		let bytes: number;
		try {
			bytes = fs.readSync(descriptors.readFd, probeBuffer, 0, probeBuffer.length, null);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
				probing = undefined;
				poll(descriptors);
				return;
			}

			fail(new Error(`${options.label}: ${(error as Error).message}`));
			return;
		}

		if (bytes > 0) {
			probing = undefined;
			poll(descriptors, Buffer.from(probeBuffer.subarray(0, bytes)));
			return;
		}

		retry = setTimeout(probe, awayDelayMs);
		awayDelayMs = Math.min(awayDelayMs * 2, Math.max(backoffMs, backoffMaxMs));
	};

	/** Opens the device; polls it at once for the first session, else probes it for the host. */
	const openDevice = (forSession: boolean) => {
		let descriptors: Descriptors;
		try {
			descriptors = options.open();
		} catch (error) {
			fail(new Error(`${options.label}: ${(error as Error).message}`));
			return;
		}

		if (forSession) {
			poll(descriptors);
		} else {
			probing = descriptors;
			retry = setTimeout(probe, awayDelayMs);
		}
	};

	/**
	 * Ends the session and closes the device (a socket owns its descriptor), then opens it again
	 * to look for the host.
	 */
	function dropSession(reason: Error, hostAway: boolean): void {
		live?.end(reason);
		live = undefined;
		closeDevice();
		if (hostAway && !away) {
			away = true;
			options.onHostGone?.();
		}

		openDevice(false);
	}

	openDevice(true);
	return {
		close() {
			if (!closed) {
				closed = true;
				clearTimeout(retry);
				live?.end();
				live = undefined;
				closeDevice();
			}
		},
	};
}

function closeDescriptors({readFd, writeFd}: Descriptors): void {
	fs.closeSync(readFd);
	if (writeFd !== readFd) {
		fs.closeSync(writeFd);
	}
}

/** One host session on the port. */
class PortSession {
	readonly channel: Channel;
	#handlers: ChannelHandlers | undefined;
	#early: Buffer[] = [];
	#ended = false;
	#endError: Error | undefined;

	constructor(label: string, send: (frame: Buffer) => Promise<void> | 'flushed', onEnd: (session: PortSession) => void) {
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

				// Written whole while this session's host is there, or dropped whole.
				const written = send(data);
				if (written !== 'flushed') {
					await written;
				}
			},
			writeEager: data => {
				if (this.#ended) {
					return Promise.reject(this.#endError ?? new Error('channel closed'));
				}

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
