/**
 * A small driver of the qemu-ga wire protocol over one Channel, for the tests that run without the
 * engine (the real qemu-ga harness's guest-info check, the bare-client baselines). It does what
 * the engine does with any wire protocol (src/wire/types.ts): a key per request, the resync
 * before the next request whenever the protocol asks for one (sent only once nothing else is
 * owed, or it would discard those replies), several requests in flight, no-reply requests,
 * deadlines. Every failure is a rejected call, never an exception that leaves the client.
 */
import {VirtagentError} from '../../src/engine/errors.js';
import type {Channel} from '../../src/transport/channel.js';
import type {CorrelationKey, ReaderEvent, WireValue} from '../../src/wire/types.js';
import {QgaCommandError} from '../../src/wire/qga/errors.js';
import {QgaProtocol, describeSyncTimeout, type QgaCounters} from '../../src/wire/qga/index.js';
import type {QgaArguments} from '../../src/wire/qga/messages.js';
import {snippet} from '../../src/wire/qga/sync.js';

export type QgaClientOptions = {
	/** Per-request deadline unless the call gives one (ms). */
	readonly timeoutMs?: number;
	/** Requests written and not yet answered, at most (qemu-ga reads them in order). */
	readonly maxInFlight?: number;
	/** Calls waiting to be written, at most; one more fails at once with ENOBUFS. */
	readonly queueMax?: number;
	readonly lineMax?: number;
	/** One line per dropped reply, discarded byte run or failed sync (guest text escaped). */
	readonly log?: (message: string) => void;
};

/** How a no-reply request (guest-shutdown, guest-suspend-*) ended. */
export type NoReplyOutcome = {readonly how: 'closed' | 'silence' | 'replied'; readonly value?: unknown};

type Call = {
	readonly execute: string;
	readonly args: QgaArguments | undefined;
	readonly timeoutMs: number;
	readonly resolve: (value: unknown) => void;
	readonly reject: (error: Error) => void;
};

type InFlight = {
	readonly call: Call | undefined;
	readonly noReply: boolean;
	readonly timer: NodeJS.Timeout;
};

export class QgaClient {
	readonly #channel: Channel;
	readonly #protocol: QgaProtocol;
	readonly #timeoutMs: number;
	readonly #maxInFlight: number;
	readonly #queueMax: number;
	readonly #log: (message: string) => void;
	readonly #queue: Call[] = [];
	readonly #inFlight = new Map<CorrelationKey, InFlight>();
	#syncKey: CorrelationKey | undefined;
	#closed: Error | undefined;
	readonly #closeListeners: Array<(error?: Error) => void> = [];

	constructor(channel: Channel, options: QgaClientOptions = {}) {
		this.#channel = channel;
		this.#log = options.log ?? (() => undefined);
		this.#protocol = new QgaProtocol({lineMax: options.lineMax, log: this.#log});
		this.#timeoutMs = options.timeoutMs ?? 5000;
		this.#maxInFlight = Math.max(1, options.maxInFlight ?? 8);
		this.#queueMax = options.queueMax ?? 64;
		channel.start({
			data: chunk => {
				this.#onEvents(this.#protocol.reader.push(chunk));
			},
			close: error => {
				this.#onClose(error);
			},
		});
	}

	get counters(): Readonly<QgaCounters> {
		return this.#protocol.counters;
	}

	get closed(): boolean {
		return this.#closed !== undefined;
	}

	/** Called once when the channel ends (at once if it already has). */
	onClose(listener: (error?: Error) => void): void {
		if (this.#closed) {
			listener(this.#closed);
		} else {
			this.#closeListeners.push(listener);
		}
	}

	/**
	 * Run one command; resolves with its `return` (a no-reply command: a NoReplyOutcome), rejects
	 * with QgaCommandError (qemu-ga's error) or VirtagentError (ETIMEDOUT, ECONNRESET, …).
	 */
	async execute(execute: string, args?: QgaArguments, options: {readonly timeoutMs?: number} = {}): Promise<unknown> {
		if (this.#closed) {
			throw new VirtagentError('ECONNRESET', `qemu-ga channel closed: ${this.#closed.message}`);
		}

		if (this.#queue.length >= this.#queueMax) {
			throw new VirtagentError('ENOBUFS', 'client job queue limit exceeded');
		}

		return new Promise((resolve, reject) => {
			this.#queue.push({execute, args, timeoutMs: options.timeoutMs ?? this.#timeoutMs, resolve, reject});
			this.#kick();
		});
	}

	/** guest-shutdown and the like: resolves with how it ended (`closed` or `silence`). */
	async executeNoReply(execute: string, args?: QgaArguments, timeoutMs?: number): Promise<NoReplyOutcome> {
		return (await this.execute(execute, args, {timeoutMs})) as NoReplyOutcome;
	}

	close(): void {
		this.#channel.destroy();
	}

	#kick(): void {
		if (this.#closed || this.#syncKey !== undefined || this.#queue.length === 0) {
			return;
		}

		if (!this.#protocol.inStep) {
			// The sync must follow every reply still owed, or it would discard them.
			const sync = this.#inFlight.size === 0 ? this.#protocol.resyncRequest() : undefined;
			if (sync) {
				this.#syncKey = this.#write(sync.method, sync.params, undefined, this.#queue[0]!.timeoutMs);
			}

			return;
		}

		while (this.#queue.length > 0 && this.#inFlight.size < this.#maxInFlight) {
			const call = this.#queue[0]!;
			const noReply = !this.#protocol.expectsReply(call.execute);
			// A no-reply request goes alone: nothing may be owed before or after it.
			if ((noReply && this.#inFlight.size > 0) || [...this.#inFlight.values()].some(flight => flight.noReply)) {
				return;
			}

			this.#queue.shift();
			this.#write(call.execute, call.args ? [call.args as WireValue] : [], call, call.timeoutMs);
			if (noReply || !this.#protocol.inStep) {
				return;
			}
		}
	}

	/** Encode and write one request; its key, or undefined when it could not be encoded. */
	#write(execute: string, params: readonly WireValue[], call: Call | undefined, timeoutMs: number): CorrelationKey | undefined {
		const key = this.#protocol.nextKey();
		let bytes: Buffer;
		try {
			({bytes} = this.#protocol.writer.request(key, execute, params));
		} catch (error) {
			call?.reject(new VirtagentError('EINVAL', (error as Error).message));
			return undefined;
		}

		const timer = setTimeout(() => {
			this.#onTimeout(key);
		}, timeoutMs);
		this.#inFlight.set(key, {call, noReply: !this.#protocol.expectsReply(execute), timer});
		this.#channel.write(bytes).catch((error: unknown) => {
			this.#settle(key, new VirtagentError('ECONNRESET', `write failed: ${(error as Error).message}`));
		});
		return key;
	}

	#onEvents(events: readonly ReaderEvent[]): void {
		for (const event of events) {
			if (event.type === 'error') {
				const error = new VirtagentError('EPROTO', event.message);
				for (const key of [...this.#inFlight.keys()]) {
					this.#settle(key, error);
				}
			} else if (event.type === 'message' && event.message.kind === 'response') {
				const {key, outcome} = event.message;
				if (key === undefined || !this.#inFlight.has(key)) {
					this.#protocol.counters.foreignReplies++;
					this.#log(`qga: dropped a reply to no request of ours (key ${snippet(key ?? '', 70)})`);
				} else if (outcome.ok) {
					const {value} = outcome;
					this.#settle(key, undefined, this.#inFlight.get(key)!.noReply ? ({how: 'replied', value} satisfies NoReplyOutcome) : value);
				} else {
					this.#settle(key, new QgaCommandError({class: outcome.fault.errorClass ?? 'GenericError', desc: outcome.fault.message}));
				}
			}
		}

		this.#kick();
	}

	#onTimeout(key: CorrelationKey): void {
		const flight = this.#inFlight.get(key);
		if (!flight) {
			return;
		}

		this.#protocol.abandoned(key);
		if (key === this.#syncKey) {
			this.#settle(key);
			const message = describeSyncTimeout(this.#protocol, this.#queue[0]?.timeoutMs ?? this.#timeoutMs);
			this.#log(`qga: ${message}`);
			// Everything queued was waiting for this sync: fail it all; the next call syncs again.
			for (const call of this.#queue.splice(0)) {
				call.reject(new VirtagentError('ETIMEDOUT', message));
			}

			return;
		}

		if (flight.noReply) {
			this.#settle(key, undefined, {how: 'silence'} satisfies NoReplyOutcome);
		} else {
			this.#settle(key, new VirtagentError('ETIMEDOUT', `${flight.call?.execute ?? 'request'}: no reply within ${(flight.call?.timeoutMs ?? 0) / 1000}s`));
		}
	}

	#settle(key: CorrelationKey, error?: Error, value?: unknown): void {
		const flight = this.#inFlight.get(key);
		if (!flight) {
			return;
		}

		this.#inFlight.delete(key);
		clearTimeout(flight.timer);
		if (key === this.#syncKey) {
			this.#syncKey = undefined;
		}

		if (error) {
			flight.call?.reject(error);
		} else {
			flight.call?.resolve(value);
		}

		queueMicrotask(() => {
			this.#kick();
		});
	}

	#onClose(error?: Error): void {
		if (this.#closed) {
			return;
		}

		this.#closed = error ?? new Error('the channel closed');
		this.#protocol.reader.end();
		const reason = new VirtagentError('ECONNRESET', `qemu-ga channel closed${error ? `: ${error.message}` : ''}`);
		for (const [key, flight] of [...this.#inFlight]) {
			if (flight.noReply) {
				this.#settle(key, undefined, {how: 'closed'} satisfies NoReplyOutcome);
			} else {
				this.#settle(key, reason);
			}
		}

		for (const call of this.#queue.splice(0)) {
			call.reject(reason);
		}

		for (const listener of this.#closeListeners.splice(0)) {
			listener(error);
		}
	}
}
