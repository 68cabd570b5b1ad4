import {getSystemErrorName} from 'node:util';
import {streamBinding, writeThroughHandle, type WritableHandle} from './handle-write.js';

/** The parts of Node's own bindings used here: the pipe handle Node wraps its stdio pipes in. */
type StreamHandle = WritableHandle & {
	open(fd: number): number;
	readStart(): number;
	close(callback?: () => void): void;
	onread: ((arrayBuffer: ArrayBuffer | undefined) => void) | undefined;
};
type PipeBinding = {
	readonly Pipe: new (type: number) => StreamHandle;
	readonly constants: {readonly SOCKET: number};
};

let pipeBinding: PipeBinding | undefined;

/** libuv's end of stream: on a port, read() returned 0 (no host on the other end). */
const endOfStream = -4095;

export type DeviceHandlers = {
	readonly data: (chunk: Buffer) => void;
	/** read() returned 0. */
	readonly end: () => void;
	/** A read or write failed; the device is unusable. */
	readonly error: (error: Error) => void;
};

export type PolledDevice = {
	/** 'flushed' when the kernel took every byte at once (the usual case), else settles when it has. */
	write(data: Buffer): Promise<void> | 'flushed';
	/** Bytes handed to write() that the kernel has not taken yet. */
	readonly queuedBytes: number;
	/** Stop, and close the descriptor. Idempotent. */
	destroy(): void;
};

/** A failed write, as the device reports it. */
function writeError(status: number): Error {
	return uvError(status, 'write');
}

function uvError(status: number, what: string): Error {
	let name: string;
	try {
		name = getSystemErrorName(status);
	} catch {
		name = `libuv error ${status}`;
	}

	return Object.assign(new Error(`${what}: ${name}`), {code: name});
}

/**
 * A character device (a virtio-serial port, a tty) or a FIFO that libuv polls like a pipe: reads
 * and writes happen on this thread as soon as the kernel says they can, with no thread blocked in
 * read() and no helper process (under software emulation every extra wake-up and hop per message
 * costs).
 *
 * Node's public API offers no way to poll such a descriptor: net.Socket({fd}) refuses it
 * (ERR_INVALID_FD_TYPE: libuv calls it a file), tty.ReadStream wants a tty, and fs.read blocks a
 * pool thread (which then keeps the process from exiting). libuv itself polls any descriptor
 * that supports poll(2) once it is opened as a pipe handle, as Node does for its stdio pipes: so
 * this takes the pipe handle from Node's binding, and reads and writes it directly, the way
 * net.Socket does underneath, without net.Socket: loading node:net and its streams, making the
 * socket and its first write were ~17M instructions of the guest daemon's start-up before its
 * hello, ~15% of it (docs/guest.md). The device owns the descriptor from then on (destroy()
 * closes it). Throws if the binding is missing or the descriptor cannot be polled. `use`
 * 'write': never read from it.
 */
export function pollDescriptor(fd: number, use: 'read' | 'write' | 'both', handlers: DeviceHandlers): PolledDevice {
	pipeBinding ??= (process as unknown as {binding(name: string): PipeBinding}).binding('pipe_wrap');
	const pipe = pipeBinding;
	const stream = streamBinding();
	const state = stream.streamBaseState;
	const handle = new pipe.Pipe(pipe.constants.SOCKET);
	const opened = handle.open(fd);
	if (opened !== 0) {
		throw new Error(`cannot poll descriptor ${fd} (libuv error ${opened})`);
	}

	let closed = false;
	let queued = 0;
	const fail = (error: Error) => {
		if (!closed) {
			handlers.error(error);
		}
	};
	// Made once per device, not per write.
	const failed = (_owner: undefined, error: Error) => {
		fail(error);
	};
	const track = (bytes: number) => {
		queued += bytes;
	};

	if (use !== 'write') {
		handle.onread = arrayBuffer => {
			const bytes = state[stream.kReadBytesOrError]!;
			if (closed) {
				return;
			}

			if (bytes > 0 && arrayBuffer) {
				// A fresh buffer per read from libuv: handed on as is.
				handlers.data(Buffer.from(arrayBuffer, state[stream.kArrayBufferOffset], bytes));
			} else if (bytes === endOfStream) {
				handlers.end();
			} else if (bytes < 0) {
				fail(uvError(bytes, 'read'));
			}
		};
		const reading = handle.readStart();
		if (reading !== 0) {
			// (The handle is left unclosed: closing it would close the descriptor, which stays the caller's.)
			throw new Error(`cannot poll descriptor ${fd} (libuv error ${reading})`);
		}
	}

	return {
		write(data) {
			if (closed) {
				return Promise.reject(new Error('device closed'));
			}

			return writeThroughHandle(handle, data, writeError, undefined, failed, track);
		},
		get queuedBytes() {
			return queued;
		},
		destroy() {
			if (!closed) {
				closed = true;
				handle.close();
			}
		},
	};
}
