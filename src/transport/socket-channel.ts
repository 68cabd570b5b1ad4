import type net from 'node:net';
import type {Channel, ChannelHandlers} from './channel.js';
import {writeEagerly} from './eager-write.js';
import type {ReadRelay} from './read-relay.js';

/**
 * A connected net.Socket (UNIX or TCP) as a Channel. A socket made with a ReadRelay's `onread`
 * passes that relay: its reads come through it, not as 'data' events.
 */
export function socketChannel(socket: net.Socket, label: string, reads?: ReadRelay): Channel {
	let handlers: ChannelHandlers | undefined;
	let closed = false;
	let closeError: Error | undefined;

	const finish = (error?: Error) => {
		if (closed) {
			return;
		}

		closed = true;
		closeError = error;
		handlers?.close(error);
	};

	socket.setNoDelay?.(true);
	socket.on('error', error => {
		finish(error);
	});
	socket.on('close', () => {
		finish();
	});
	socket.on('end', () => {
		// The peer closed its side: we have nothing to say to a peer that cannot answer.
		socket.end();
		finish();
	});

	const write = async (data: Buffer) => {
		if (closed || socket.destroyed) {
			throw closeError ?? new Error('channel closed');
		}

		const written = writeEagerly(socket, data);
		if (written !== 'flushed') {
			await written;
		}
	};

	return {
		label,
		start(h) {
			handlers = h;
			if (reads) {
				reads.attach(chunk => {
					h.data(chunk);
				});
			} else {
				socket.on('data', chunk => {
					h.data(chunk);
				});
			}

			if (closed) {
				h.close(closeError);
			}
		},
		async write(data) {
			return write(data);
		},
		writeEager(data) {
			if (closed || socket.destroyed) {
				return Promise.reject(closeError ?? new Error('channel closed'));
			}

			return writeEagerly(socket, data);
		},
		destroy() {
			// Also frees whatever is still queued for writing (a stuck send leaves nothing behind).
			socket.destroy();
			finish();
		},
		pause() {
			socket.pause();
		},
		resume() {
			socket.resume();
		},
		pendingWriteBytes() {
			// libuv's queue shrinks as the kernel takes bytes; the stream's own count moves only
			// when a whole write completes.
			const handle = (socket as unknown as {_handle?: {writeQueueSize?: number}})._handle;
			return handle?.writeQueueSize ?? socket.writableLength;
		},
	};
}
