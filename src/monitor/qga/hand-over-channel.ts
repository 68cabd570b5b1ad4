import type {Channel, ChannelHandlers} from '../../transport/channel.js';

/**
 * A channel that is read before its real reader takes it: the protocol probe starts it and sees
 * every chunk through `tap`; `handOver(replay)` then gives the engine the stream as if it had
 * been there from `replay` on (bytes that came meanwhile follow it, and an end that came
 * meanwhile is reported at `start`).
 */
export class HandOverChannel implements Channel {
	readonly label: string;
	readonly pause?: () => void;
	readonly resume?: () => void;
	readonly pendingWriteBytes?: () => number;
	readonly writeEager?: (data: Buffer) => Promise<void> | 'flushed';
	readonly #inner: Channel;
	#tap: ((chunk: Buffer) => void) | undefined;
	#handlers: ChannelHandlers | undefined;
	/** Bytes for the engine before it has started reading (bounded by what the probe lets through). */
	#early: Buffer[] = [];
	#ended: {readonly error?: Error} | undefined;
	readonly #onEnd: (error?: Error) => void;

	constructor(inner: Channel, tap: (chunk: Buffer) => void, onEnd: (error?: Error) => void) {
		this.#inner = inner;
		this.label = inner.label;
		this.#tap = tap;
		this.#onEnd = onEnd;
		if (inner.pause && inner.resume) {
			this.pause = () => inner.pause!();
			this.resume = () => inner.resume!();
		}

		if (inner.pendingWriteBytes) {
			this.pendingWriteBytes = () => inner.pendingWriteBytes!();
		}

		// Whatever the inner channel offers, the engine gets too (a probed stream is no slower).
		if (inner.writeEager) {
			this.writeEager = data => inner.writeEager!(data);
		}

		inner.start({
			data: chunk => {
				this.#data(chunk);
			},
			close: error => {
				this.#close(error);
			},
		});
	}

	/** The probe is over: the engine reads from `replay` on. */
	handOver(replay: Buffer): void {
		this.#tap = undefined;
		this.#early = replay.length > 0 ? [replay] : [];
	}

	start(handlers: ChannelHandlers): void {
		this.#handlers = handlers;
		const early = this.#early;
		this.#early = [];
		for (const chunk of early) {
			handlers.data(chunk);
		}

		if (this.#ended) {
			handlers.close(this.#ended.error);
		}
	}

	async write(data: Buffer): Promise<void> {
		return this.#inner.write(data);
	}

	destroy(): void {
		this.#inner.destroy();
	}

	#data(chunk: Buffer): void {
		if (this.#handlers) {
			this.#handlers.data(chunk);
		} else if (this.#tap) {
			this.#tap(chunk);
		} else {
			this.#early.push(chunk);
		}
	}

	#close(error?: Error): void {
		this.#ended = error ? {error} : {};
		if (this.#handlers) {
			this.#handlers.close(error);
		} else if (this.#tap) {
			this.#onEnd(error);
		}
	}
}
