/**
 * Reads of a socket through one reused buffer (net's `onread`), handed on as copies:
 * a read then makes no stream chunk, buffer-list entry or 'data' event, which is a quarter of a
 * bare client's CPU per round trip. Bytes that arrive before anyone listens are kept in order.
 */
export class ReadRelay {
	/** net's `onread` option for the socket this relay serves. */
	readonly onread = {
		buffer: Buffer.allocUnsafe(64 * 1024),
		callback: (bytes: number): boolean => {
			// The next read overwrites the buffer: whoever keeps a chunk must own its bytes. Copied
			// from a plain view made once: Buffer#copy asks the source for its ArrayBuffer on
			// every call (a call into C++, ~300 instructions of a ~1k copy).
			const chunk = Buffer.allocUnsafe(bytes);
			chunk.set(this.#source.subarray(0, bytes));
			if (this.#deliver) {
				this.#deliver(chunk);
			} else {
				this.#early.push(chunk);
			}

			return true; // Keep reading: pausing is the channel's pause().
		},
	};

	readonly #source = new Uint8Array(this.onread.buffer.buffer, this.onread.buffer.byteOffset, this.onread.buffer.length);
	#deliver: ((chunk: Buffer) => void) | undefined;
	#early: Buffer[] = [];

	/** From now on every read goes to `deliver`; what came before goes first. */
	attach(deliver: (chunk: Buffer) => void): void {
		this.#deliver = deliver;
		for (const chunk of this.#early.splice(0)) {
			deliver(chunk);
		}
	}
}
