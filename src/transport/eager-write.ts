import type net from 'node:net';
import {getSystemErrorName} from 'node:util';

/** The parts of Node's stream binding a direct write uses (polled-device.ts writes a port so too). */
type WriteRequest = {handle: SocketHandle; oncomplete: (status: number) => void; async: boolean; buffer?: Buffer};
type SocketHandle = {writeBuffer?: (request: WriteRequest, data: Buffer) => number};
type StreamBinding = {
	readonly WriteWrap: new () => WriteRequest;
	/** What the handle reports about its last write (Node's stream_base state). */
	readonly streamBaseState: Int32Array;
	readonly kLastWriteWasAsync: number;
};

let streamBinding: StreamBinding | undefined;

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
		return writeToHandle(socket, handle, data);
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

function writeToHandle(socket: net.Socket, handle: SocketHandle, data: Buffer): Promise<void> | 'flushed' {
	streamBinding ??= (process as unknown as {binding(name: string): StreamBinding}).binding('stream_wrap');
	const {WriteWrap, streamBaseState, kLastWriteWasAsync} = streamBinding;
	let finished: ((status: number) => void) | undefined;
	let doneStatus: number | undefined;
	const request = new WriteWrap();
	request.handle = handle;
	request.async = false;
	request.oncomplete = status => {
		if (finished) {
			finished(status);
		} else {
			doneStatus = status;
		}
	};
	const status = handle.writeBuffer!(request, data);
	if (status === 0 && !streamBaseState[kLastWriteWasAsync]) {
		return 'flushed';
	}

	if (status !== 0) {
		return Promise.reject(failed(socket, status));
	}

	request.async = true;
	// libuv writes from this memory later: the request holds the buffer until then, as Node's own
	// write path does (a buffer collected meanwhile, its pool slice reused, would send other bytes).
	request.buffer = data;
	return new Promise<void>((resolve, reject) => {
		finished = done => {
			if (done === 0) {
				resolve();
			} else {
				reject(failed(socket, done));
			}
		};
		if (doneStatus !== undefined) {
			finished(doneStatus);
		}
	});
}

/** A failed write: the socket is destroyed with the error (its owner hears 'error' and 'close'). */
function failed(socket: net.Socket, status: number): Error {
	const code = getSystemErrorName(status);
	const error = Object.assign(new Error(`write ${code}`), {code, errno: status, syscall: 'write'});
	socket.destroy(error);
	return error;
}
