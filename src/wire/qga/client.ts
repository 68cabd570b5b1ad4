/**
 * A qemu-ga client over one Channel (docs/PROTOCOL.md §9): requests matched to replies by `id`,
 * several in flight (qemu-ga answers them in order), a guest-sync-delimited before the first
 * request and again after any timeout, unparsable line or no-reply request, and nothing ever
 * served (qemu-ga never calls the host). Every failure is a rejected call, never an exception
 * that leaves the client.
 */
import type {Channel} from '../../transport/channel.js';
import {VirtagentError} from '../../engine/errors.js';
import {QgaCommandError} from './errors.js';
import {LineReader, defaultLineMax, type LineEvent} from './line-reader.js';
import {encodeRequest, parseReply, type QgaArguments} from './messages.js';
import {SyncExchange, snippet} from './sync.js';

export type QgaClientOptions = {
	/** Per-request deadline unless the call gives one (ms). */
	readonly timeoutMs?: number;
	/** Requests written and not yet answered, at most (qemu-ga reads them in order). */
	readonly maxInFlight?: number;
	/** Calls waiting to be written, at most; one more fails at once with ENOBUFS. */
	readonly queueMax?: number;
	readonly lineMax?: number;
	/** One line per dropped reply, discarded byte run or sync (guest text already escaped). */
	readonly log?: (message: string) => void;
};

export type CallOptions = {
	readonly timeoutMs?: number;
	/**
	 * guest-shutdown, guest-suspend-*: qemu-ga sends no reply on success. The call resolves when
	 * the channel closes or the deadline passes in silence (`how` says which); an error reply
	 * still rejects it.
	 */
	readonly noReply?: boolean;
};

/** How a no-reply request ended; a normal request resolves with `replied`. */
export type NoReplyOutcome = {readonly how: 'closed' | 'silence' | 'replied'; readonly value?: unknown};

export type QgaCounters = {
	/** Replies whose id is not one this end is waiting for (stale, foreign, missing). */
	foreignReplies: number;
	/** Lines that are not a reply (not JSON, too deep, no return/error). */
	garbageLines: number;
	/** Lines and byte runs discarded by a sync, or dropped by the reader (over the limit, cut). */
	discarded: number;
	syncs: number;
};

type Pending = {
	readonly id: number;
	readonly execute: string;
	readonly bytes: Buffer;
	readonly timeoutMs: number;
	readonly noReply: boolean;
	readonly resolve: (value: unknown) => void;
	readonly reject: (error: Error) => void;
	timer?: NodeJS.Timeout;
};

type SyncState = {readonly exchange: SyncExchange; readonly timer: NodeJS.Timeout};

export class QgaClient {
	readonly counters: QgaCounters = {foreignReplies: 0, garbageLines: 0, discarded: 0, syncs: 0};
	readonly #channel: Channel;
	readonly #reader: LineReader;
	readonly #timeoutMs: number;
	readonly #maxInFlight: number;
	readonly #queueMax: number;
	readonly #log: (message: string) => void;
	readonly #queue: Pending[] = [];
	readonly #inFlight = new Map<number, Pending>();
	#nextId = 1;
	#needsSync = true;
	#sync: SyncState | undefined;
	/** A sync has succeeded on this channel: an agent is there and it is ours. */
	#everSynced = false;
	#closed: Error | undefined;
	readonly #closeListeners: Array<(error?: Error) => void> = [];

	constructor(channel: Channel, options: QgaClientOptions = {}) {
		this.#channel = channel;
		this.#reader = new LineReader(options.lineMax ?? defaultLineMax);
		this.#timeoutMs = options.timeoutMs ?? 5000;
		this.#maxInFlight = Math.max(1, options.maxInFlight ?? 8);
		this.#queueMax = options.queueMax ?? 64;
		this.#log = options.log ?? (() => undefined);
		channel.start({
			data: chunk => {
				this.#onData(chunk);
			},
			close: error => {
				this.#onClose(error);
			},
		});
	}

	get label(): string {
		return this.#channel.label;
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

	/** Run one command; resolves with its `return`, rejects with QgaCommandError or VirtagentError. */
	async execute(execute: string, args?: QgaArguments, options: CallOptions = {}): Promise<unknown> {
		if (this.#closed) {
			throw new VirtagentError('ECONNRESET', `qemu-ga channel closed: ${this.#closed.message}`);
		}

		if (this.#queue.length >= this.#queueMax) {
			throw new VirtagentError('ENOBUFS', 'client job queue limit exceeded');
		}

		const id = this.#nextId++;
		return new Promise((resolve, reject) => {
			this.#queue.push({id, execute, bytes: encodeRequest(execute, args, id), timeoutMs: options.timeoutMs ?? this.#timeoutMs, noReply: options.noReply ?? false, resolve, reject});
			this.#kick();
		});
	}

	/** A no-reply command (guest-shutdown): resolves with how it ended. */
	async executeNoReply(execute: string, args?: QgaArguments, timeoutMs?: number): Promise<NoReplyOutcome> {
		return (await this.execute(execute, args, {noReply: true, timeoutMs})) as NoReplyOutcome;
	}

	close(): void {
		this.#channel.destroy();
	}

	/** Write what may be written now: a sync first when one is due, then queued requests. */
	#kick(): void {
		if (this.#closed || this.#sync) {
			return;
		}

		if (this.#needsSync) {
			// The sync must follow every reply still owed, or it would discard them.
			if (this.#inFlight.size === 0 && this.#queue.length > 0) {
				this.#startSync();
			}

			return;
		}

		while (this.#queue.length > 0 && this.#inFlight.size < this.#maxInFlight) {
			const next = this.#queue[0]!;
			// A no-reply request goes alone: nothing may be owed before or after it.
			if (next.noReply && this.#inFlight.size > 0) {
				return;
			}

			if ([...this.#inFlight.values()].some(pending => pending.noReply)) {
				return;
			}

			this.#queue.shift();
			this.#send(next);
			if (next.noReply) {
				return;
			}
		}
	}

	#send(pending: Pending): void {
		this.#inFlight.set(pending.id, pending);
		pending.timer = setTimeout(() => {
			this.#onTimeout(pending);
		}, pending.timeoutMs);
		this.#channel.write(pending.bytes).catch((error: unknown) => {
			this.#finish(pending, new VirtagentError('ECONNRESET', `write failed: ${(error as Error).message}`));
		});
	}

	#startSync(): void {
		const exchange = new SyncExchange();
		const timeoutMs = this.#queue[0]?.timeoutMs ?? this.#timeoutMs;
		const timer = setTimeout(() => {
			this.#onSyncTimeout(timeoutMs);
		}, timeoutMs);
		this.#sync = {exchange, timer};
		this.counters.syncs++;
		this.#channel.write(exchange.request()).catch(() => undefined); // a failed write closes the channel
	}

	#onSyncTimeout(timeoutMs: number): void {
		this.#sync = undefined;
		const seconds = `${timeoutMs / 1000}s`;
		const message = this.#everSynced
			? `qemu-ga stopped answering: no reply to guest-sync-delimited within ${seconds}`
			: `no answer to guest-sync-delimited within ${seconds}: the agent is held by another client (qemu-ga serves one at a time) or is not running`;
		this.#log(message);
		// Everything queued was waiting for this sync: fail it all, the next call syncs again.
		for (const pending of this.#queue.splice(0)) {
			pending.reject(new VirtagentError('ETIMEDOUT', message));
		}
	}

	#onData(chunk: Buffer): void {
		for (const event of this.#reader.push(chunk)) {
			if (this.#sync) {
				this.#syncStep(this.#sync, event);
			} else {
				this.#onEvent(event);
			}
		}

		this.#kick();
	}

	#syncStep(sync: SyncState, event: LineEvent): void {
		const step = sync.exchange.step(event);
		if (!step.done) {
			if (step.discarded !== undefined) {
				this.counters.discarded++;
				this.#log(`sync discarded ${step.discarded}`);
			}

			return;
		}

		clearTimeout(sync.timer);
		this.#sync = undefined;
		this.#needsSync = false;
		this.#everSynced = true;
	}

	#onEvent(event: LineEvent): void {
		if (event.type === 'delimiter') {
			return; // a 0xFF outside a sync: the next line is read as usual
		}

		if (event.type === 'dropped') {
			this.counters.discarded++;
			this.#needsSync = true;
			const what = event.reason === 'overlong' ? 'a line over the limit' : 'a line cut by 0xFF';
			this.#log(`dropped ${event.bytes} bytes from qemu-ga (${what})`);
			// qemu-ga only ever answers: that line was the reply to one of ours, and nobody can
			// tell which. Fail them all now rather than at their deadlines.
			const error = new VirtagentError('EPROTO', `reply dropped: ${what} (${event.bytes} bytes)`);
			for (const pending of [...this.#inFlight.values()]) {
				this.#finish(pending, error);
			}

			return;
		}

		if (event.text.trim() === '') {
			return;
		}

		let reply;
		try {
			reply = parseReply(event.text);
		} catch (error) {
			this.counters.garbageLines++;
			this.#needsSync = true;
			this.#log(`dropped an unparsable line from qemu-ga (${(error as Error).message}): ${snippet(event.text)}`);
			return;
		}

		const pending = typeof reply.id === 'number' ? this.#inFlight.get(reply.id) : undefined;
		if (!pending) {
			this.counters.foreignReplies++;
			this.#log(`dropped a reply with ${reply.id === undefined ? 'no id' : `foreign id ${snippet(JSON.stringify(reply.id) ?? '', 40)}`}: ${snippet(event.text)}`);
			return;
		}

		if (reply.kind === 'error') {
			this.#finish(pending, new QgaCommandError(reply.error));
		} else {
			this.#finish(pending, undefined, pending.noReply ? ({how: 'replied', value: reply.value} satisfies NoReplyOutcome) : reply.value);
		}
	}

	#onTimeout(pending: Pending): void {
		if (pending.noReply) {
			this.#finish(pending, undefined, {how: 'silence'} satisfies NoReplyOutcome);
			return;
		}

		// Its reply may still come, and must never be taken for another's: sync before the next.
		this.#finish(pending, new VirtagentError('ETIMEDOUT', `${pending.execute}: no reply within ${pending.timeoutMs / 1000}s`));
	}

	#finish(pending: Pending, error?: Error, value?: unknown): void {
		if (!this.#inFlight.delete(pending.id)) {
			return;
		}

		clearTimeout(pending.timer);
		// An error reply is still a reply in step; a timeout or a lost write may not be.
		if ((error && !(error instanceof QgaCommandError)) || pending.noReply) {
			this.#needsSync = true;
		}

		if (error) {
			pending.reject(error);
		} else {
			pending.resolve(value);
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
		if (this.#sync) {
			clearTimeout(this.#sync.timer);
			this.#sync = undefined;
		}

		const reason = new VirtagentError('ECONNRESET', `qemu-ga channel closed${error ? `: ${error.message}` : ''}`);
		for (const pending of [...this.#inFlight.values()]) {
			if (pending.noReply) {
				this.#finish(pending, undefined, {how: 'closed'} satisfies NoReplyOutcome);
			} else {
				this.#finish(pending, reason);
			}
		}

		for (const pending of this.#queue.splice(0)) {
			pending.reject(reason);
		}

		for (const listener of this.#closeListeners.splice(0)) {
			listener(error);
		}
	}
}
