import {getSystemErrorName} from 'node:util';

/** The parts of Node's own bindings used here: the pipe handle Node wraps its stdio pipes in. */
type WriteRequest = {
	handle: StreamHandle;
	oncomplete: (status: number) => void;
	async: boolean;
};
type StreamHandle = {
	open(fd: number): number;
	readStart(): number;
	writeBuffer(request: WriteRequest, data: Buffer): number;
	close(callback?: () => void): void;
	onread: ((arrayBuffer: ArrayBuffer | undefined) => void) | undefined;
};
type PipeBinding = {
	readonly Pipe: new (type: number) => StreamHandle;
	readonly constants: {readonly SOCKET: number};
};
type StreamBinding = {
	readonly WriteWrap: new () => WriteRequest;
	/** What the handle reports about its last read and write (Node's stream_base state). */
	readonly streamBaseState: Int32Array;
	readonly kReadBytesOrError: number;
	readonly kArrayBufferOffset: number;
	readonly kLastWriteWasAsync: number;
};

type Bindings = {readonly pipe: PipeBinding; readonly stream: StreamBinding};
let bindings: Bindings | undefined;
function nodeBindings(): Bindings {
	const binding = (process as unknown as {binding(name: string): unknown}).binding;
	bindings ??= {pipe: binding('pipe_wrap') as PipeBinding, stream: binding('stream_wrap') as StreamBinding};
	return bindings;
}

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
	const {pipe, stream} = nodeBindings();
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

			let settle: ((status: number) => void) | undefined;
			let doneStatus: number | undefined;
			const request = new stream.WriteWrap();
			request.handle = handle;
			request.async = false;
			request.oncomplete = status => {
				queued -= data.length;
				if (settle) {
					settle(status);
				} else {
					doneStatus = status;
				}
			};
			const status = handle.writeBuffer(request, data);
			if (status !== 0) {
				const error = uvError(status, 'write');
				fail(error);
				return Promise.reject(error);
			}

			if (!state[stream.kLastWriteWasAsync]) {
				return 'flushed';
			}

			queued += data.length;
			request.async = true;
			return new Promise<void>((resolve, reject) => {
				settle = done => {
					if (done === 0) {
						resolve();
					} else {
						const error = uvError(done, 'write');
						fail(error);
						reject(error);
					}
				};
				if (doneStatus !== undefined) {
					settle(doneStatus);
				}
			});
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
