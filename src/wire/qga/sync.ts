/**
 * guest-sync-delimited (docs/PROTOCOL.md §9): the step that makes a stale reply from an
 * abandoned request unable to answer a new one. This end writes a 0xFF (qemu-ga drops any
 * half-read request and answers ONE "stray" parse error) and the sync with a random id; the
 * agent answers a 0xFF and `{"return": id}`. Everything before the 0xFF, and every line after
 * it up to the matching id, is discarded.
 */
import {randomInt} from 'node:crypto';
import {lineText, type LineEvent} from './line-reader.js';
import {isStrayDelimiterError, parseReply, type QgaErrorBody, type QgaReply} from './messages.js';

export type SyncStep =
	/** Still looking; what was discarded (for the count and the log), if anything. */
	| {readonly done: false; readonly discarded?: string}
	| {readonly done: true}
	/** The agent refused the sync itself (blocked by its configuration): no sync is possible. */
	| {readonly done: true; readonly refused: QgaErrorBody};

/** A fresh random sync id (qemu-ga echoes an int64; this stays a safe JavaScript integer). */
export function newSyncId(): number {
	return randomInt(1, 2 ** 47);
}

export class SyncExchange {
	readonly id: unknown;
	/** The JSON id the sync request itself carried: only its own error reply bears it. */
	readonly #key: string | undefined;
	#delimited = false;
	#strayErrorSkipped = false;

	constructor(id: unknown, key?: string) {
		this.id = id;
		this.#key = key;
	}

	step(event: LineEvent): SyncStep {
		if (event.type === 'delimiter') {
			this.#delimited = true;
			return {done: false};
		}

		if (event.type === 'dropped') {
			return {done: false, discarded: `${event.bytes} bytes (${event.reason === 'overlong' ? 'a line over the limit' : 'a line cut by 0xFF'})`};
		}

		const text = lineText(event);
		if (text.trim() === '') {
			return {done: false};
		}

		let reply: QgaReply | undefined;
		try {
			reply = parseReply(text);
		} catch {
			reply = undefined; // not a reply: discarded below like any other line
		}

		// Our own 0xFF makes qemu-ga answer one parse error: expected, so not worth a log line.
		if (reply && !this.#strayErrorSkipped && isStrayDelimiterError(reply)) {
			this.#strayErrorSkipped = true;
			return {done: false};
		}

		// An error is answered without the delimiter: e.g. guest-sync-delimited blocked (-b).
		if (reply?.kind === 'error' && this.#key !== undefined && reply.id === this.#key) {
			return {done: true, refused: reply.error};
		}

		if (!this.#delimited) {
			return {done: false, discarded: `before the sync delimiter: ${snippet(text)}`};
		}

		if (reply?.kind === 'return' && reply.value === this.id) {
			return {done: true};
		}

		return {done: false, discarded: `waiting for sync id ${snippet(String(this.id), 20)}: ${snippet(text)}`};
	}
}

/** Untrusted text for a log line: one line, ASCII only, at most `room` characters of it. */
export function snippet(text: string, room = 80): string {
	const cut = text.length > room ? `${text.slice(0, room)}…` : text;
	return JSON.stringify(cut).replace(/[^\x20-\x7e]/g, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
