import type {Channel} from '../transport/channel.js';
import type {IncomingMessage, WireProtocol} from '../wire/types.js';
import type {EventBus} from './bus.js';
import {formatMs} from './format.js';

export type LinkHandlers = {
	/** A message read from the peer. */
	readonly message: (message: IncomingMessage) => void;
	/** The stream broke the protocol; the reader has resynced. */
	readonly protocolError: (code: string, message: string) => void;
	/** The channel went away (closed, failed, stuck, replaced): pending work must fail. */
	readonly lost: (reason: string) => void;
	/** A write finished, or the channel changed: the send side may be free. */
	readonly writable: () => void;
};

export type LinkOptions = {
	/** A send that makes no progress for this long declares the channel stuck (default 5 s). */
	readonly sendStallMs: number;
	/** Most input kept while reading is paused, for a channel that cannot pause (default 4 MiB). */
	readonly pausedInputMax: number;
};

/** Watchdog looks per stall period: a stall is detected between 1 and 1.25 periods. */
const watchTicks = 4;

type PendingRead = {readonly events: ReturnType<WireProtocol['reader']['push']>; readonly index: number};

/**
 * The channel's lifecycle and the bytes on it: attach/detach, reading through the wire
 * protocol's reader (with back-pressure: reading pauses while the engine cannot keep up), and
 * writing one message at a time with a stall watchdog (docs/PROTOCOL.md §4: a send that makes
 * no progress closes the channel, and closing it frees what was still queued).
 */
export class Link {
	readonly #protocol: WireProtocol;
	readonly #bus: EventBus;
	readonly #handlers: LinkHandlers;
	readonly #options: LinkOptions;
	#channel: Channel | undefined;
	#writing = false;
	/** Counts writes, so the watchdog can tell a new write from one that has not moved. */
	#writeSeq = 0;
	#stallTimer: NodeJS.Timeout | undefined;
	#readStallTimer: NodeJS.Timeout | undefined;
	#paused = false;
	/** Events of a chunk not yet handed on when reading paused. */
	#pendingRead: PendingRead | undefined;
	/** Chunks that arrived while paused (one or two when the channel can pause). */
	readonly #pausedChunks: Buffer[] = [];
	#pausedBytes = 0;

	constructor(protocol: WireProtocol, bus: EventBus, handlers: LinkHandlers, options: LinkOptions) {
		this.#protocol = protocol;
		this.#bus = bus;
		this.#handlers = handlers;
		this.#options = options;
	}

	get connected(): boolean {
		return this.#channel !== undefined;
	}

	/** A message is being written: nothing else may go on the wire (§4). */
	get busy(): boolean {
		return this.#writing;
	}

	attach(channel: Channel): void {
		if (this.#channel) {
			this.lose(this.#channel, 'replaced by a new channel');
		}

		this.#channel = channel;
		this.#protocol.reset();
		channel.start({
			data: chunk => {
				if (this.#channel === channel) {
					this.#onData(chunk);
				}
			},
			close: error => {
				this.lose(channel, error?.message ?? 'stream closed');
			},
		});
		if (this.#channel === channel) {
			this.#bus.emit({type: 'channel', status: 'up', label: channel.label, at: Date.now()});
		}
	}

	/** Drop the current channel (closing it): pending jobs fail with ECONNRESET. */
	detach(reason: string): void {
		const channel = this.#channel;
		if (channel) {
			this.lose(channel, reason);
			channel.destroy();
		}
	}

	/** Write one message; `written` runs once it is handed to the OS. A failed write loses the channel and closes it. */
	send(bytes: Buffer, written: () => void): void {
		const channel = this.#channel;
		if (!channel || this.#writing) {
			throw new Error(`bug: send while ${channel ? 'busy' : 'detached'}`);
		}

		this.#writing = true;
		this.#writeSeq++;
		const pending = channel.writeEager ? channel.writeEager(bytes) : channel.write(bytes);
		if (pending === 'flushed') {
			this.#endWrite();
			written();
			this.#handlers.writable();
			return;
		}

		this.#watch(channel);
		pending.then(
			() => {
				if (this.#channel !== channel) {
					return; // Lost meanwhile: that loss already ended the write.
				}

				this.#endWrite();
				written();
				this.#handlers.writable();
			},
			(error: unknown) => {
				// Closed as a stuck send is: a stream left open after a failed write keeps its peer
				// waiting, and a listening guest turns every new host away meanwhile.
				this.lose(channel, error instanceof Error ? error.message : String(error));
				channel.destroy();
			},
		);
	}

	/** Stop handing on messages (and reading, where the channel can) until `resume`. */
	pause(): void {
		if (!this.#paused) {
			this.#paused = true;
			this.#channel?.pause?.();
			clearTimeout(this.#readStallTimer);
			this.#readStallTimer = undefined;
		}
	}

	resume(): void {
		if (!this.#paused) {
			return;
		}

		this.#paused = false;
		const channel = this.#channel;
		if (this.#pendingRead) {
			const {events, index} = this.#pendingRead;
			this.#pendingRead = undefined;
			this.#deliver(events, index);
		}

		while (!this.#paused && this.#pausedChunks.length > 0 && this.#channel === channel) {
			const chunk = this.#pausedChunks.shift()!;
			this.#pausedBytes -= chunk.length;
			this.#onData(chunk);
		}

		if (!this.#paused) {
			channel?.resume?.();
			this.#armReaderStall();
		}
	}

	/** The channel is gone: report what the reader held, then tell the engine. */
	lose(channel: Channel, reason: string): void {
		if (this.#channel !== channel) {
			return;
		}

		for (const event of this.#protocol.reader.end()) {
			if (event.type === 'error') {
				this.#bus.log('warn', `stream ended mid-message: ${event.message}`);
			}
		}

		this.#channel = undefined;
		this.#endWrite();
		clearInterval(this.#stallTimer);
		this.#stallTimer = undefined;
		clearTimeout(this.#readStallTimer);
		this.#readStallTimer = undefined;
		this.#paused = false;
		this.#pendingRead = undefined;
		this.#pausedChunks.length = 0;
		this.#pausedBytes = 0;
		this.#handlers.lost(reason);
		this.#bus.emit({type: 'channel', status: 'down', label: channel.label, reason, at: Date.now()});
		this.#handlers.writable();
	}

	#onData(chunk: Buffer): void {
		if (this.#paused) {
			this.#pausedChunks.push(chunk);
			this.#pausedBytes += chunk.length;
			if (this.#pausedBytes > this.#options.pausedInputMax && this.#channel) {
				const channel = this.#channel;
				this.#bus.log('error', `the peer sent ${this.#pausedBytes} bytes while reading was paused and the channel cannot pause: closing it`);
				this.lose(channel, 'input overrun while paused');
				channel.destroy();
			}

			return;
		}

		let events: PendingRead['events'];
		try {
			events = this.#protocol.reader.push(chunk);
		} catch (error) {
			// A reader must never throw; if one does, treat it as a framing error and start over.
			this.#protocol.reset();
			events = [
				{type: 'error', code: 'READER_FAILED', message: `the ${this.#protocol.name} reader failed: ${error instanceof Error ? error.message : String(error)}`},
			];
		}

		this.#deliver(events, 0);
		this.#armReaderStall();
	}

	/**
	 * A started message must keep moving (docs/PROTOCOL.md §2). Readers keep no timers: one here
	 * asks the reader to drop a stalled message even when no byte follows. Not while paused:
	 * then it is we who are not reading.
	 */
	#armReaderStall(): void {
		const {reader} = this.#protocol;
		// One pending timer is enough (not one per chunk: big messages come in many): when it
		// fires it looks at the deadline again.
		if (this.#readStallTimer || !reader.checkStall || !this.#channel || this.#paused) {
			return;
		}

		const deadline = reader.stallDeadline;
		if (deadline === undefined) {
			return;
		}

		this.#readStallTimer = setTimeout(
			() => {
				this.#readStallTimer = undefined;
				const due = reader.stallDeadline;
				if (!this.#channel || this.#paused || due === undefined) {
					return;
				}

				if (due <= Date.now()) {
					this.#deliver(reader.checkStall!(), 0);
				}

				this.#armReaderStall();
			},
			Math.max(0, deadline - Date.now()),
		);
		this.#readStallTimer.unref?.();
	}

	/** Hand on a chunk's events in order, stopping where a handler paused reading. */
	#deliver(events: PendingRead['events'], from: number): void {
		const channel = this.#channel;
		for (let index = from; index < events.length; index++) {
			if (this.#channel !== channel || !channel) {
				return;
			}

			if (this.#paused) {
				this.#pendingRead = {events, index};
				return;
			}

			const event = events[index]!;
			switch (event.type) {
				case 'message': {
					this.#handlers.message(event.message);
					break;
				}

				case 'skipped': {
					this.#bus.log('warn', `skipped ${event.bytes} byte${event.bytes === 1 ? '' : 's'} of garbage before a frame`);
					break;
				}

				case 'error': {
					this.#bus.log('error', `framing error: ${event.message}`);
					this.#handlers.protocolError(event.code, event.message);
					break;
				}
			}
		}
	}

	/**
	 * A write the kernel did not take at once is watched four times per `sendStallMs`: one that
	 * neither finished nor moved (its pending bytes did not shrink) for that long means the peer
	 * stopped reading. One timer per channel while writes wait (not one per message: this is on
	 * every call's path), none while idle: a thousand idle links must not wake the process.
	 */
	#watch(channel: Channel): void {
		if (this.#stallTimer) {
			return;
		}

		let seen = -1;
		let pending: number | undefined;
		let stillTicks = 0;
		this.#stallTimer = setInterval(() => {
			if (!this.#writing) {
				clearInterval(this.#stallTimer);
				this.#stallTimer = undefined;
				return;
			}

			const now = channel.pendingWriteBytes?.();
			if (this.#writeSeq !== seen || (now !== undefined && pending !== undefined && now < pending)) {
				seen = this.#writeSeq;
				pending = now;
				stillTicks = 0;
				return;
			}

			if (++stillTicks < watchTicks) {
				return;
			}

			const stall = formatMs(this.#options.sendStallMs);
			this.#bus.log('error', `send made no progress for ${stall}: the peer stopped reading; closing the channel`);
			this.lose(channel, `stuck: send made no progress for ${stall}`);
			channel.destroy();
		}, this.#options.sendStallMs / watchTicks);
		this.#stallTimer.unref?.();
	}

	#endWrite(): void {
		this.#writing = false;
	}
}
