import {BodyAssembler} from './body-assembler.js';
import {type DecoderEvent, type FrameKind, FramingError, type FramingErrorCode} from './frame.js';
import {type HeaderFields, parseHeaderFields, readCanonicalHeader, readWholeFrame} from './frame-header.js';
import {frameLimits, type FrameLimits, SENTINEL} from './limits.js';

/*
 * Incremental reader of PROTOCOL.md §2. Decisions the spec leaves open:
 *
 * - Sentinels: a 0xFF that follows another 0xFF with no header byte in between is absorbed
 *   silently (v7 writers send `FF <frame> FF`); TRUNCATED_HEADER needs at least one header byte.
 * - v5 peers: a header without 0xFF is accepted only at a message boundary (start of stream,
 *   after end(), or right after a complete frame) and only if it starts with `POST ` or `HTTP/`.
 *   Anywhere else (after garbage, after an error) it is skipped like any other garbage.
 * - Header fields (start line, Content-Length, tag grammar): frame-header.ts.
 * - Stalls (PROTOCOL.md §2): a header must be complete headerStallMs after its first byte (the
 *   first byte after the sentinel: a lone trailing 0xFF from a v7 writer holds nothing), and a
 *   body must get a byte at least every bodyStallMs. The decoder has no timers: a push first
 *   drops a message whose deadline has passed, and whoever owns the stream calls checkStall()
 *   when stallDeadline passes, so that a stalled message is dropped (STALLED_FRAME, then
 *   resync) even if nothing follows.
 * - Skipped bytes: everything discarded outside a header is counted (garbage before a
 *   sentinel, the rest of an over-long header, the body of a rejected message). The bytes of a
 *   header that is itself rejected are covered by its error event, not counted again.
 * - Bodies are never scanned: exactly Content-Length bytes, 0xFF included.
 * - A body that arrives whole inside one pushed chunk is a zero-copy view of that chunk, so
 *   callers must not reuse a chunk after pushing it (net.Socket never does). One that comes in
 *   pieces is joined by body-assembler.ts.
 * - Limits and which values they may take: limits.ts.
 *
 * Buffering bound: between calls, bufferedBytes < max(headerMax, bodyMax) — at most one
 * partial header (< headerMax) or one partial body (< its Content-Length ≤ bodyMax), never
 * both, and no unparsed input (push consumes its whole chunk).
 */

type State =
	/** At a message boundary: a sentinel or a v5 `POST `/`HTTP/` start may follow. */
	| 'boundary'
	/** Resyncing: skip to the next 0xFF. */
	| 'scan'
	/** Collecting a header (after a sentinel, or after a v5 start). */
	| 'header'
	/** Collecting exactly bodyLength bytes. */
	| 'body';

const crlfcrlf = Buffer.from('\r\n\r\n', 'latin1');
const v5Request = Buffer.from('POST ', 'latin1');
const v5Response = Buffer.from('HTTP/', 'latin1');

export class FrameDecoder {
	readonly #headerMax: number;
	readonly #bodyMax: number;

	#state: State = 'boundary';
	#header: Buffer | undefined;
	#headerLength = 0;

	#kind: FrameKind = 'request';
	#tag: string | undefined;
	#bodyLength = 0;
	#bodyHave = 0;
	/** A body that comes over several chunks, until it is complete. */
	readonly #body = new BodyAssembler();

	#pendingSkip = 0;
	#skippedTotal = 0;
	readonly #errorCounts = new Map<FramingErrorCode, number>();

	readonly #headerStallMs: number;
	readonly #bodyStallMs: number;
	readonly #clock: () => number;
	/** When the message being read counts as stalled; undefined when none is started. */
	#deadline: number | undefined;

	/** @param clock - milliseconds, Date.now by default (tests pass their own). */
	constructor(limits?: Partial<FrameLimits>, clock: () => number = Date.now) {
		const {headerMax, bodyMax, headerStallMs, bodyStallMs} = frameLimits(limits);
		this.#headerStallMs = headerStallMs;
		this.#bodyStallMs = bodyStallMs;
		this.#clock = clock;
		this.#headerMax = headerMax;
		this.#bodyMax = bodyMax;
	}

	/** Bytes held for a message not yet complete (partial header or partial body). */
	get bufferedBytes(): number {
		return this.#headerLength + this.#bodyHave;
	}

	/** All bytes skipped so far, over every stream this decoder has read. */
	get skippedTotal(): number {
		return this.#skippedTotal;
	}

	/** Messages dropped so far, by error (PROTOCOL.md §2: dropped, logged and counted). */
	get errorCounts(): ReadonlyMap<FramingErrorCode, number> {
		return this.#errorCounts;
	}

	/**
	 * When the message being read will count as stalled (clock milliseconds), or undefined when
	 * no message is started. Call checkStall() once it has passed.
	 */
	get stallDeadline(): number | undefined {
		return this.#deadline;
	}

	/**
	 * Drop the message being read if it stalled (PROTOCOL.md §2): a STALLED_FRAME error, and the
	 * decoder resyncs to the next 0xFF. Returns no events when nothing stalled.
	 */
	checkStall(now: number = this.#clock()): DecoderEvent[] {
		const events: DecoderEvent[] = [];
		this.#expire(now, events);
		return events;
	}

	/** Feed the next piece of the stream; returns what it completed, in stream order. */
	push(chunk: Buffer): DecoderEvent[] {
		const whole = this.#wholeFrame(chunk);
		if (whole !== undefined) {
			return [whole];
		}

		const events: DecoderEvent[] = [];
		// A message that stalled before this chunk came is over: the chunk starts afresh. (The
		// clock is read only while a message is started: a whole frame per chunk never reads it.)
		let now: number | undefined;
		if (this.#deadline !== undefined) {
			now = this.#clock();
			this.#expire(now, events);
		}

		const end = chunk.length;
		let at = 0;
		while (at < end) {
			switch (this.#state) {
				case 'scan': {
					const ff = chunk.indexOf(SENTINEL, at);
					if (ff < 0) {
						this.#pendingSkip += end - at;
						at = end;
					} else {
						this.#pendingSkip += ff - at;
						this.#flushSkip(events);
						this.#state = 'header';
						at = ff + 1;
					}
					break;
				}
				case 'boundary':
					at = this.#readBoundary(chunk, at);
					break;
				case 'header':
					at = this.#readHeader(chunk, at, events);
					break;
				case 'body':
					at = this.#readBody(chunk, at, events);
					break;
			}
		}
		this.#flushSkip(events);
		if (this.#state === 'body' || this.#headerLength > 0) {
			this.#startClock(now ?? this.#clock(), end > 0);
		} else {
			this.#deadline = undefined;
		}

		return events;
	}

	/** A chunk that is one whole frame of ours, at a boundary (nothing held, skipped or timed): read with no state moved. */
	#wholeFrame(chunk: Buffer): DecoderEvent | undefined {
		const frame =
			this.#state === 'boundary' && this.#headerLength === 0 && this.#deadline === undefined
				? readWholeFrame(chunk, this.#headerMax, this.#bodyMax)
				: undefined;
		return frame && {type: 'frame', frame};
	}

	/** After a push that left a message started: a header keeps its first deadline, a body that moved gets a new one. */
	#startClock(now: number, consumed: boolean): void {
		if (this.#state === 'body') {
			if (consumed) this.#deadline = now + this.#bodyStallMs;
		} else {
			this.#deadline ??= now + this.#headerStallMs;
		}
	}

	#expire(now: number, events: DecoderEvent[]): void {
		if (this.#deadline === undefined || now < this.#deadline) return;
		const message =
			this.#state === 'body'
				? `no body bytes for ${this.#bodyStallMs} ms (${this.#bodyHave} of ${this.#bodyLength} received)`
				: `header not complete ${this.#headerStallMs} ms after its first byte (${this.#headerLength} bytes received)`;
		this.#fail(events, 'STALLED_FRAME', message);
	}

	/** The stream ended: report what was cut off, then start over as a fresh stream. */
	end(): DecoderEvent[] {
		const events: DecoderEvent[] = [];
		switch (this.#state) {
			case 'boundary':
				// An unconfirmed `POS`/`HTT` prefix is just garbage.
				this.#pendingSkip += this.#headerLength;
				break;
			case 'header':
				if (this.#headerLength > 0) {
					this.#fail(events, 'TRUNCATED_HEADER', `stream ended after ${this.#headerLength} header bytes`);
				}
				break;
			case 'body':
				this.#fail(events, 'TRUNCATED_BODY', `stream ended after ${this.#bodyHave} of ${this.#bodyLength} body bytes`);
				break;
			case 'scan':
				break;
		}
		this.#flushSkip(events);
		this.#resetMessage();
		this.#state = 'boundary';
		return events;
	}

	#readBoundary(chunk: Buffer, at: number): number {
		const byte = chunk[at]!;
		const have = this.#headerLength;
		if (have === 0 && byte === SENTINEL) {
			this.#state = 'header';
			return at + 1;
		}
		// v5 peer: match `POST ` or `HTTP/` byte by byte (it may arrive split).
		const header = this.#headerBuffer();
		const expected = (have === 0 ? byte : header[0]) === 0x50 ? v5Request : v5Response;
		if (byte !== expected[have]) {
			this.#pendingSkip += have;
			this.#headerLength = 0;
			this.#state = 'scan';
			return at; // rescan this byte: it may be the sentinel
		}
		header[have] = byte;
		this.#headerLength = have + 1;
		if (have + 1 === expected.length) this.#state = 'header';
		return at + 1;
	}

	#readHeader(chunk: Buffer, at: number, events: DecoderEvent[]): number {
		const have = this.#headerLength;
		// Fastest path: the header our own writer sends, whole in this chunk, read in one pass.
		const canonical = have === 0 ? readCanonicalHeader(chunk, at, this.#headerMax, this.#bodyMax) : undefined;
		if (canonical !== undefined) {
			this.#takeHeader(canonical, events);
			return canonical.end;
		}

		// Never look past what the header may still take: the limit is enforced on arrival.
		const window = chunk.subarray(at, at + this.#headerMax - have);
		const ff = window.indexOf(SENTINEL);
		const usable = ff < 0 ? window.length : ff;

		if (have === 0) {
			// Fast path: the whole header is inside this chunk; parse it in place.
			const i = window.indexOf(crlfcrlf);
			if (i >= 0 && i + 4 <= usable) {
				this.#parseHeader(window.subarray(0, i + 4), events);
				return at + i + 4;
			}
		}

		const header = this.#headerBuffer();
		window.copy(header, have, 0, usable);
		if (have > 0) {
			const from = Math.max(0, have - 3);
			const i = header.subarray(from, have + usable).indexOf(crlfcrlf);
			if (i >= 0) {
				const length = from + i + 4;
				this.#headerLength = 0;
				this.#parseHeader(header.subarray(0, length), events);
				return at + length - have;
			}
		}

		if (ff >= 0) {
			if (have + ff > 0) {
				this.#fail(events, 'TRUNCATED_HEADER', `0xFF after ${have + ff} header bytes`);
			}
			this.#headerLength = 0;
			this.#state = 'header'; // that 0xFF starts the next header
			return at + ff + 1;
		}

		if (have + window.length >= this.#headerMax) {
			this.#headerLength = 0;
			this.#fail(events, 'HEADER_TOO_LONG', `no CRLFCRLF within ${this.#headerMax} bytes`);
			return at + window.length;
		}

		this.#headerLength = have + window.length;
		return at + window.length;
	}

	#readBody(chunk: Buffer, at: number, events: DecoderEvent[]): number {
		const need = this.#bodyLength - this.#bodyHave;
		const available = chunk.length - at;
		if (this.#bodyHave === 0 && available >= need) {
			this.#emitFrame(events, chunk.subarray(at, at + need));
			return at + need;
		}

		const take = Math.min(need, available);
		this.#body.append(chunk.subarray(at, at + take));
		this.#bodyHave += take;
		if (this.#bodyHave === this.#bodyLength) {
			const body = this.#body.join(this.#bodyLength);
			this.#bodyHave = 0;
			this.#emitFrame(events, body);
		}
		return at + take;
	}

	#parseHeader(bytes: Buffer, events: DecoderEvent[]): void {
		const fields = parseHeaderFields(bytes.toString('latin1', 0, bytes.length - 4), this.#bodyMax);
		if ('code' in fields) {
			this.#fail(events, fields.code, fields.message);
			return;
		}

		this.#takeHeader(fields, events);
	}

	#takeHeader(fields: HeaderFields, events: DecoderEvent[]): void {
		this.#kind = fields.kind;
		this.#tag = fields.tag;
		this.#bodyLength = fields.bodyLength;
		if (this.#bodyLength === 0) {
			this.#emitFrame(events, Buffer.alloc(0));
		} else {
			this.#state = 'body';
		}
	}

	#emitFrame(events: DecoderEvent[], body: Buffer): void {
		events.push({type: 'frame', frame: {kind: this.#kind, tag: this.#tag, body}});
		this.#resetMessage();
		this.#state = 'boundary';
	}

	#fail(events: DecoderEvent[], code: FramingErrorCode, message: string): void {
		this.#errorCounts.set(code, (this.#errorCounts.get(code) ?? 0) + 1);
		this.#flushSkip(events);
		events.push({type: 'error', error: new FramingError(code, message)});
		this.#resetMessage();
		this.#state = 'scan';
	}

	#flushSkip(events: DecoderEvent[]): void {
		if (this.#pendingSkip === 0) return;
		events.push({type: 'skipped', bytes: this.#pendingSkip});
		this.#skippedTotal += this.#pendingSkip;
		this.#pendingSkip = 0;
	}

	#resetMessage(): void {
		this.#deadline = undefined;
		this.#headerLength = 0;
		this.#tag = undefined;
		this.#bodyLength = 0;
		this.#bodyHave = 0;
		this.#body.clear();
	}

	#headerBuffer(): Buffer {
		return (this.#header ??= Buffer.allocUnsafe(this.#headerMax));
	}
}
