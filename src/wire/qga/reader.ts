import {isValidTag} from '../../protocol/frame.js';
import {FaultCode} from '../../protocol/value.js';
import type {CorrelationKey, MessageReader, ReaderEvent, WireFault, WireValue} from '../types.js';
import {LineReader, lineText, type LineEvent} from './line-reader.js';
import {parseReply, type QgaErrorBody} from './messages.js';
import {emptyReturnKey} from './reply-shortcut.js';
import {SyncExchange, snippet} from './sync.js';

/** Every empty result is the same frozen value: two objects less per guest-ping (nobody may change a result). */
const emptyReturn = Object.freeze({ok: true, value: Object.freeze({})} as const);

/** Why input was thrown away; the protocol counts these and resyncs before the next request. */
export type DropReport = {
	readonly kind: 'garbage' | 'foreign' | 'sync-discard' | 'sync-refused' | 'overlong' | 'cut';
	readonly detail: string;
};

type SyncState = {readonly exchange: SyncExchange; readonly key: CorrelationKey};

/**
 * Bytes → messages for qemu-ga. Only replies can occur (qemu-ga never calls the host). A reply
 * whose id is not a key this end could have made (missing, not a string, wrong grammar) is
 * foreign and dropped here; an unparsable line is dropped; both are reported through `onDrop`.
 * While a sync is under way, everything up to the 0xFF and the matching id is discarded, and
 * the match is delivered as the sync request's response.
 */
export class QgaReader implements MessageReader {
	readonly #lines: LineReader;
	readonly #onDrop: (report: DropReport) => void;
	readonly #onSynced: () => void;
	readonly #stallMs: number;
	#sync: SyncState | undefined;
	/** When the last byte of an unfinished line came (a started reply must keep moving, §2). */
	#lastProgress: number | undefined;

	constructor(lineMax: number, onDrop: (report: DropReport) => void, onSynced: () => void, stallMs = 10_000) {
		this.#lines = new LineReader(lineMax);
		this.#onDrop = onDrop;
		this.#onSynced = onSynced;
		this.#stallMs = stallMs;
	}

	/** An unfinished line that gets no byte for `stallMs` is dropped (the engine asks at this time). */
	get stallDeadline(): number | undefined {
		return this.#lastProgress === undefined ? undefined : this.#lastProgress + this.#stallMs;
	}

	checkStall(): readonly ReaderEvent[] {
		const bytes = this.#lines.pending;
		if (this.#lastProgress === undefined || bytes === 0 || Date.now() < this.#lastProgress + this.#stallMs) {
			return [];
		}

		// Whatever follows cannot be told from the rest of this line: drop it, and the protocol
		// resyncs before the next request (the pending ones fail now, not at their deadlines).
		this.#lines.reset();
		this.#lastProgress = undefined;
		const message = `a reply stalled: no byte for ${this.#stallMs} ms after ${bytes} bytes`;
		this.#onDrop({kind: 'cut', detail: message});
		return [{type: 'error', code: 'STALLED_FRAME', message}];
	}

	/** A sync was written with `key` as its JSON id and `syncId` as the id it echoes. */
	expectSync(key: CorrelationKey, syncId: unknown): void {
		this.#sync = {exchange: new SyncExchange(syncId, key), key};
	}

	get syncing(): boolean {
		return this.#sync !== undefined;
	}

	push(chunk: Buffer): readonly ReaderEvent[] {
		const out: ReaderEvent[] = [];
		for (const event of this.#lines.push(chunk)) {
			if (this.#sync) {
				this.#syncStep(this.#sync, event, out);
			} else {
				this.#read(event, out);
			}
		}

		// An overlong line being skipped holds nothing, but it is started all the same.
		this.#lastProgress = this.#lines.pending > 0 ? Date.now() : undefined;
		return out;
	}

	end(): readonly ReaderEvent[] {
		const bytes = this.#lines.buffered;
		this.reset();
		return bytes > 0 ? [{type: 'skipped', bytes}] : [];
	}

	reset(): void {
		this.#lines.reset();
		this.#sync = undefined;
		this.#lastProgress = undefined;
	}

	#syncStep(sync: SyncState, event: LineEvent, out: ReaderEvent[]): void {
		const step = sync.exchange.step(event);
		if (step.done) {
			this.#sync = undefined;
			if ('refused' in step) {
				// Nothing better is possible: go on, matching replies by id alone.
				this.#onDrop({kind: 'sync-refused', detail: `the agent refused guest-sync-delimited (${snippet(step.refused.desc)}); replies are matched by id alone`});
				this.#onSynced();
				out.push({
					type: 'message',
					message: {
						kind: 'response',
						key: sync.key,
						outcome: {ok: false, fault: toFault(step.refused)},
						raw: Buffer.from(JSON.stringify({error: step.refused})),
					},
				});
				return;
			}

			this.#onSynced();
			const raw = Buffer.from(JSON.stringify({return: sync.exchange.id}));
			out.push({type: 'message', message: {kind: 'response', key: sync.key, outcome: {ok: true, value: sync.exchange.id as WireValue}, raw}});
			return;
		}

		if (event.type !== 'delimiter') {
			const bytes = event.type === 'dropped' ? event.bytes : event.bytes.length + 1;
			out.push({type: 'skipped', bytes});
		}

		if (step.discarded !== undefined) {
			this.#onDrop({kind: 'sync-discard', detail: step.discarded});
		}
	}

	#read(event: LineEvent, out: ReaderEvent[]): void {
		if (event.type === 'delimiter') {
			out.push({type: 'skipped', bytes: 1});
			return;
		}

		if (event.type === 'dropped') {
			// qemu-ga only ever answers: that line was the reply to one of ours, and nobody can
			// tell which, so the pending requests fail now rather than at their deadlines.
			const what = event.reason === 'overlong' ? 'a reply over the line limit' : 'a reply cut by a 0xFF byte';
			this.#onDrop({kind: event.reason, detail: `${what} (${event.bytes} bytes)`});
			out.push({type: 'error', code: event.reason === 'overlong' ? 'LINE_TOO_LONG' : 'CUT_LINE', message: `${what} (${event.bytes} bytes)`});
			return;
		}

		const shortcut = emptyReturnKey(event.bytes);
		if (shortcut !== undefined) {
			out.push({type: 'message', message: {kind: 'response', key: shortcut, outcome: emptyReturn, raw: event.bytes}});
			return;
		}

		const bytes = event.bytes.length + 1;
		const text = lineText(event);
		if (text.trim() === '') {
			out.push({type: 'skipped', bytes});
			return;
		}

		let reply;
		try {
			reply = parseReply(text);
		} catch (error) {
			this.#onDrop({kind: 'garbage', detail: `${(error as Error).message}: ${snippet(text)}`});
			out.push({type: 'skipped', bytes});
			return;
		}

		// This end's keys have the frame tags' grammar (src/wire/types.ts): 1–64 of `A-Z a-z 0-9 . _ -`.
		if (typeof reply.id !== 'string' || !isValidTag(reply.id)) {
			this.#onDrop({
				kind: 'foreign',
				detail: `a reply with ${reply.id === undefined ? 'no id' : `foreign id ${snippet(JSON.stringify(reply.id) ?? '', 40)}`}: ${snippet(text)}`,
			});
			out.push({type: 'skipped', bytes});
			return;
		}

		const raw = event.bytes;
		const outcome = reply.kind === 'return' ? {ok: true as const, value: reply.value as WireValue} : {ok: false as const, fault: toFault(reply.error)};
		out.push({type: 'message', message: {kind: 'response', key: reply.id, outcome, raw}});
	}
}

/** qemu-ga's named errors as fault codes (docs/PROTOCOL.md §3), keeping the class. */
export function toFault(error: QgaErrorBody): WireFault {
	let code: number = FaultCode.internal;
	if (error.class === 'CommandNotFound') {
		code = / has been disabled$/.test(error.desc) ? FaultCode.methodDisabled : FaultCode.methodNotFound;
	}

	return {code, message: error.desc, errorClass: error.class};
}
