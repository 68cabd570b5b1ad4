/**
 * A duplex byte stream the agent runs over: a socket, a virtio-serial port, a tty.
 * The agent calls `start` once; the channel then reports data and its end through the handlers.
 */
export type ChannelHandlers = {
	readonly data: (chunk: Buffer) => void;
	/** The stream ended or failed; called at most once. */
	readonly close: (error?: Error) => void;
};

export type Channel = {
	/** Human-readable description, e.g. `unix:/tmp/va.sock`. */
	readonly label: string;
	start(handlers: ChannelHandlers): void;
	/**
	 * Queue bytes; writes go out in call order, never interleaved. Resolves when the bytes are
	 * handed to the OS, rejects if the channel fails first.
	 */
	write(data: Buffer): Promise<void>;
	/**
	 * Like `write`, but says `flushed` when the OS took every byte at once (the usual case on
	 * an idle socket): the caller may go on in the same tick instead of waiting for a callback,
	 * which saves a wake-up per message when both directions are busy. Optional.
	 */
	writeEager?(data: Buffer): Promise<void> | 'flushed';
	/** Close the stream; `close` is reported to the handlers. Idempotent. */
	destroy(): void;
	/**
	 * Stop reading (back-pressure: the peer's writes then block) until `resume`. Optional: the
	 * agent buffers a bounded amount for a channel that cannot pause, then gives up on it.
	 */
	pause?(): void;
	resume?(): void;
	/**
	 * Bytes handed to `write` that the OS has not taken yet. Optional: when present, a send is
	 * stuck only if this stops shrinking (a slow line that still moves is fine); without it, a
	 * send is stuck when it does not finish in time.
	 */
	pendingWriteBytes?(): number;
};
