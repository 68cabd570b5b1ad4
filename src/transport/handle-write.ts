/** The parts of Node's stream binding a direct write uses: a write request and the handle's write state. */
export type WriteRequest = {handle: unknown; oncomplete?: (status: number) => void; async: boolean; buffer?: Buffer};
export type WritableHandle = {writeBuffer(request: WriteRequest, data: Buffer): number};
export type StreamBinding = {
	readonly WriteWrap: new () => WriteRequest;
	/** What the handle reports about its last read and write (Node's stream_base state). */
	readonly streamBaseState: Int32Array;
	readonly kReadBytesOrError: number;
	readonly kArrayBufferOffset: number;
	readonly kLastWriteWasAsync: number;
};

let binding: StreamBinding | undefined;

/** Node's stream binding, loaded on first use. */
export function streamBinding(): StreamBinding {
	binding ??= (process as unknown as {binding(name: string): StreamBinding}).binding('stream_wrap');
	return binding;
}

/**
 * A write request that no write kept: Node's native write wraps its request object only when
 * the kernel does not take every byte at once, so after a write that flushed, the same object
 * serves the next one. Making one (a native constructor) cost ~900 instructions of a ~4k write.
 */
let spare: WriteRequest | undefined;

/**
 * One write through a libuv stream handle, as net.Socket does at the end of its own write path
 * (sockets: eager-write.ts; ports: polled-device.ts). 'flushed' when the kernel took every byte
 * at once; otherwise a promise that libuv's completion settles. A failure, now or then, is told
 * to `failed(owner, error)` with the error `failure` makes of libuv's status, and rejects with it
 * (functions made once and an owner passed in, not a closure per write: this runs per message;
 * the flushed path makes no closure and no object at all).
 * `pending` hears +bytes when the write goes on in the background and -bytes when it is done.
 */
export function writeThroughHandle<O>(
	handle: WritableHandle,
	data: Buffer,
	failure: (status: number) => Error,
	owner: O,
	failed: (owner: O, error: Error) => void,
	pending?: (bytes: number) => void,
): Promise<void> | 'flushed' {
	const {WriteWrap, streamBaseState, kLastWriteWasAsync} = streamBinding();
	const request = spare ?? new WriteWrap();
	spare = undefined;
	request.handle = handle;
	request.async = false;
	const status = handle.writeBuffer(request, data);
	if (status !== 0) {
		// Not reused: a write that failed part way may have wrapped its request.
		const error = failure(status);
		failed(owner, error);
		return Promise.reject(error);
	}

	if (!streamBaseState[kLastWriteWasAsync]) {
		request.handle = undefined; // The spare must not keep a closed handle alive.
		spare = request;
		return 'flushed';
	}

	pending?.(data.length);
	request.async = true;
	// libuv writes from this memory later: the request holds the buffer until then, as Node's own
	// write path does (a buffer collected meanwhile, its pool slice reused, would send other bytes).
	request.buffer = data;
	return new Promise<void>((resolve, reject) => {
		// libuv reports a write's completion from the event loop, never during writeBuffer: set now, in time.
		request.oncomplete = done => {
			pending?.(-data.length);
			if (done === 0) {
				resolve();
			} else {
				const error = failure(done);
				failed(owner, error);
				reject(error);
			}
		};
	});
}
