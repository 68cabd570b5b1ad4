import type net from 'node:net';
import {getSystemErrorName} from 'node:util';
import {writeThroughHandle, type WritableHandle} from './handle-write.js';

/** A socket's libuv handle: writeBuffer is there once it is connected. */
type SocketHandle = {writeBuffer?: WritableHandle['writeBuffer']};

/**
 * Write to a socket (or a polled device) and say `flushed` when the kernel took every byte at
 * once, the usual case: the caller may then go on in the same tick. Otherwise the promise
 * settles with the write's callback. No promise is made on the fast path: this runs for every
 * message, and under emulation each allocation and hop counts many times over.
 *
 * A socket with nothing queued is written through its handle, as net.Socket itself does at the
 * end of its write path, but without that path: its stream state, the after-write tick and the
 * callback cost ~3k instructions per message (callgrind, both ends of a ping round trip in one
 * process: 55.1k → 48.8k). libuv keeps the order of every write on the handle, direct or not,
 * and a shutdown waits for them; a failed direct write destroys the socket with its error, as a
 * failed stream write does.
 */
export function writeEagerly(socket: net.Socket, data: Buffer): Promise<void> | 'flushed' {
	const handle = (socket as unknown as {_handle?: SocketHandle | null})._handle;
	if (handle?.writeBuffer && socket.writableLength === 0 && !socket.connecting && !socket.writableEnded) {
		return writeThroughHandle(handle as WritableHandle, data, writeError, socket, destroyWith);
	}

	let done: {error: Error | null | undefined} | undefined;
	let settle: ((error: Error | null | undefined) => void) | undefined;
	socket.write(data, error => {
		if (settle) {
			settle(error);
		} else {
			done = {error};
		}
	});
	if (socket.writableLength === 0 && !done?.error) {
		// A later failure of the socket arrives as its 'error'/'close', which the owner reports.
		return 'flushed';
	}

	if (done) {
		return done.error ? Promise.reject(done.error) : Promise.resolve();
	}

	return new Promise<void>((resolve, reject) => {
		settle = error => {
			if (error) {
				reject(error);
			} else {
				resolve();
			}
		};
	});
}

/** A failed write, as a failed stream write reports it. */
function writeError(status: number): Error {
	const code = getSystemErrorName(status);
	return Object.assign(new Error(`write ${code}`), {code, errno: status, syscall: 'write'});
}

/** A failed write destroys the socket with its error (its owner hears 'error' and 'close'). */
function destroyWith(socket: net.Socket, error: Error): void {
	socket.destroy(error);
}
