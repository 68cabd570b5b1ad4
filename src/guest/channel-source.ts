import {encodeFault} from '../protocol/codec.js';
import {encodeFrame} from '../protocol/frame-encoder.js';
import {FaultCode} from '../protocol/value.js';
import type {Channel} from '../transport/channel.js';
import {connectEndpoint, describeEndpoint, listenEndpoint, parseTcpAddress, type Listener, type SocketEndpoint} from '../transport/endpoint.js';
import {openPortLink, type Descriptors, type PortLink} from '../transport/fd-channel.js';
import {makeTtyRaw, openCharDevice} from '../transport/tty.js';
import type {GuestLog} from './log.js';
import type {GuestConfig} from './options.js';
import fs from 'node:fs';

/** Where the daemon's channels come from: one at a time, a new one each time the host comes back. */
export type ChannelSource = {
	readonly label: string;
	/** Open (throws a one-line error if that is impossible now) and start handing out channels. */
	start(onChannel: (channel: Channel) => void): Promise<void>;
	/** Stop for good (listening sockets are removed). */
	close(): Promise<void>;
};

/**
 * The same channel, with a hook on its end (sources learn from it when to reconnect). Its
 * optional parts pass through: without them the engine took a promise and a callback per
 * message (no eager write), buffered a flood instead of pausing the socket, and judged a slow
 * send by time alone (no pending-bytes count).
 */
function watchClose(channel: Channel, onClose: () => void): Channel {
	const watched: Channel = {
		label: channel.label,
		start(handlers) {
			channel.start({
				data: handlers.data,
				close(error) {
					handlers.close(error);
					onClose();
				},
			});
		},
		// The channel's own write: no extra promise per message.
		write: channel.write.bind(channel),
		destroy() {
			channel.destroy();
		},
	};
	if (channel.writeEager) {
		watched.writeEager = channel.writeEager.bind(channel);
	}

	if (channel.pause && channel.resume) {
		watched.pause = channel.pause.bind(channel);
		watched.resume = channel.resume.bind(channel);
	}

	if (channel.pendingWriteBytes) {
		watched.pendingWriteBytes = channel.pendingWriteBytes.bind(channel);
	}

	return watched;
}

/** A pause that keeps nothing alive (node:timers/promises, a module more to load at start-up, is not needed for it). */
async function pause(ms: number): Promise<void> {
	await new Promise(resolve => {
		setTimeout(resolve, ms).unref();
	});
}

const retryFirstMs = 100;
const retryMaxMs = 2000;

/** unix-connect / tcp-connect: connect, and reconnect with back-off whenever it is lost or refused. */
function connectSource(endpoint: SocketEndpoint, log: GuestLog): ChannelSource {
	let closed = false;
	let current: Channel | undefined;
	let wake: (() => void) | undefined;
	const label = describeEndpoint(endpoint);

	const loop = async (onChannel: (channel: Channel) => void) => {
		let delay = retryFirstMs;
		let failing = false;
		while (!closed) {
			try {
				const channel = await connectEndpoint(endpoint);
				if (closed) {
					channel.destroy();
					return;
				}

				delay = retryFirstMs;
				failing = false;
				await new Promise<void>(resolve => {
					wake = resolve;
					current = watchClose(channel, resolve);
					onChannel(current);
				});
				current = undefined;
			} catch (error) {
				if (!failing) {
					log.log('info', `cannot connect to ${label}: ${(error as Error).message}; retrying`);
					failing = true;
				} else {
					log.log('debug', `connect to ${label} failed again; next try in ${delay} ms`);
				}

				await pause(delay);
				delay = Math.min(delay * 2, retryMaxMs);
				continue;
			}

			if (!closed) {
				await pause(retryFirstMs);
			}
		}
	};

	return {
		label,
		async start(onChannel) {
			void loop(onChannel);
		},
		async close() {
			closed = true;
			current?.destroy();
			wake?.();
		},
	};
}

/** Connections being turned away at once; past this they are closed without a word. */
const turnAwayMax = 16;
let turningAway = 0;

/**
 * docs/PROTOCOL.md §1: a second host is told why (an untagged fault -500). It closes the stream
 * once it has read that; we close it after a second if it does not (what it sends is ignored).
 */
function turnAway(channel: Channel): void {
	if (turningAway >= turnAwayMax) {
		channel.destroy(); // A flood of connections gets no explanation, and holds nothing.
		return;
	}

	turningAway++;
	const refusal = encodeFrame('response', undefined, encodeFault({code: FaultCode.internal, message: 'another host is connected'}));
	const timer = setTimeout(() => {
		channel.destroy();
	}, 1000);
	channel.start({
		data: () => undefined,
		close() {
			clearTimeout(timer);
			turningAway--;
		},
	});
	channel.write(refusal).catch(() => {
		channel.destroy();
	});
}

/** unix-listen / tcp-listen: one host at a time; while one is connected, others are turned away. */
function listenSource(endpoint: SocketEndpoint, log: GuestLog): ChannelSource {
	let listener: Listener | undefined;
	let current: Channel | undefined;
	return {
		label: describeEndpoint(endpoint),
		async start(onChannel) {
			listener = await listenEndpoint(endpoint, channel => {
				if (current) {
					log.log('warning', `refused a second host on ${channel.label}: one is already connected`);
					turnAway(channel);
					return;
				}

				const watched = watchClose(channel, () => {
					if (current === watched) {
						current = undefined;
					}
				});
				current = watched;
				onChannel(watched);
			});
			log.log('info', `listening on ${listener.label}`);
		},
		async close() {
			current?.destroy();
			await listener?.close();
		},
	};
}

/**
 * A channel per host session over a device opened by `open` (a port, a tty; FIFOs in tests),
 * opened again each time the host has gone away. A link that fails is restarted after 1 s: the
 * host may come back, and the port with it.
 */
export function descriptorSource(label: string, open: () => Descriptors, log: GuestLog, backoffMs?: number): ChannelSource {
	let link: PortLink | undefined;
	let closed = false;
	let restartTimer: NodeJS.Timeout | undefined;

	const run = (onChannel: (channel: Channel) => void, first?: Descriptors) => {
		let opened = first;
		link = openPortLink({
			label,
			open() {
				const descriptors = opened ?? open();
				opened = undefined;
				return descriptors;
			},
			backoffMs,
			onSession: onChannel,
			onHostGone() {
				log.log('info', `${label}: the host is not connected; waiting for it`);
			},
			onError(error) {
				if (closed) {
					return;
				}

				log.log('err', `${error.message}; restarting the port in 1s`);
				restartTimer = setTimeout(() => {
					run(onChannel);
				}, 1000);
			},
		});
	};

	return {
		label,
		async start(onChannel) {
			// The first open here: a port that is missing or busy is a start-up error.
			run(onChannel, open());
		},
		async close() {
			closed = true;
			clearTimeout(restartTimer);
			link?.close();
		},
	};
}

/** virtio-serial / isa-serial: ONE read-write descriptor (a port can be opened only once). */
function portSource(kind: 'virtio-serial' | 'isa-serial', devicePath: string, baud: number, log: GuestLog): ChannelSource {
	const label = `${kind}:${devicePath}`;
	return descriptorSource(
		label,
		() => {
			let fd: number | undefined;
			try {
				fd = openCharDevice(devicePath);
				if (kind === 'isa-serial') {
					makeTtyRaw(fd, baud);
				}
			} catch (error) {
				if (fd !== undefined) {
					fs.closeSync(fd);
				}

				const code = (error as NodeJS.ErrnoException).code;
				throw new Error(`${label}: ${code === 'EBUSY' ? 'busy (another program has the port open)' : (error as Error).message}`);
			}

			return {readFd: fd, writeFd: fd};
		},
		log,
	);
}

export function channelSourceFor(config: GuestConfig, log: GuestLog): ChannelSource {
	switch (config.channel) {
		case 'virtio-serial':
		case 'isa-serial': {
			return portSource(config.channel, config.path, config.baud, log);
		}

		case 'unix-connect': {
			return connectSource({kind: 'unix', path: config.path}, log);
		}

		case 'unix-listen': {
			return listenSource({kind: 'unix', path: config.path}, log);
		}

		case 'tcp-connect': {
			return connectSource(parseTcpAddress(config.path), log);
		}

		case 'tcp-listen': {
			return listenSource(parseTcpAddress(config.path), log);
		}
	}
}
