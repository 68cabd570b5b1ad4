import {type DecoderEvent, type FrameKind, FramingError, type FramingErrorCode, isValidTag} from './frame.js';
import {defaultFrameLimits, type FrameLimits, SENTINEL} from './limits.js';

/*
 * Incremental reader of PROTOCOL.md §2. Decisions the spec leaves open:
 *
 * - Sentinels: a 0xFF that follows another 0xFF with no header byte in between is absorbed
 *   silently (v7 writers send `FF <frame> FF`); TRUNCATED_HEADER needs at least one header byte.
 * - v5 peers: a header without 0xFF is accepted only at a message boundary (start of stream,
 *   after end(), or right after a complete frame) and only if it starts with `POST ` or `HTTP/`.
 *   Anywhere else (after garbage, after an error) it is skipped like any other garbage.
 * - Strict header syntax: lines end CRLF; a bare CR or LF, a line without a colon, or a header
 *   name that is not an HTTP token is MALFORMED_HEADER. Values lose surrounding spaces/tabs.
 * - Start line: `POST <path> HTTP/1.<d>` is a request, `HTTP/1.<d> <3 digits>[ reason]` a
 *   response (any status is accepted; the spec only ever sends 200).
 * - Content-Length: 1–15 ASCII digits (leading zeros allowed), nothing else; repeated headers
 *   must agree. Anything else is BAD_CONTENT_LENGTH; a well-formed value over bodyMax is
 *   BODY_TOO_LONG.
 * - Tag: the literal value is kept (including `none`, which our writer sends for "no tag");
 *   only a missing or empty header gives undefined. A value outside the tag grammar (frame.ts)
 *   or conflicting repeats are MALFORMED_HEADER, so every tag we accept can be echoed back.
 * - Skipped bytes: everything discarded outside a header is counted (garbage before a
 *   sentinel, the rest of an over-long header, the body of a rejected message). The bytes of a
 *   header that is itself rejected are covered by its error event, not counted again.
 * - Bodies are never scanned: exactly Content-Length bytes, 0xFF included.
 * - A body that arrives whole inside one pushed chunk is a zero-copy view of that chunk, so
 *   callers must not reuse a chunk after pushing it (net.Socket never does).
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
const requestLine = /^POST [\x21-\x7e]+ HTTP\/1\.[0-9]$/;
const responseLine = /^HTTP\/1\.[0-9] [0-9]{3}(?: [^\r\n]*)?$/;
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const decimal = /^[0-9]{1,15}$/;
/** What frame-encoder.ts writes (minus the blank line): parsed by #parseFields in one match. */
const canonicalHeader =
	/^(POST \/RPC2 HTTP\/1\.1|HTTP\/1\.1 200 OK)\r\nContent-Type: text\/xml\r\nContent-Length: ([0-9]{1,15})\r\nX-Virtagent-Client-Tag: ([A-Za-z0-9._-]{1,64})$/;

// Small body pieces are copied into a staging block so that a peer trickling bytes cannot
// make us hold thousands of tiny Buffer objects (or pin the big chunks they came in).
const stageSize = 16 * 1024;

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
	#bodyParts: Buffer[] = [];
	#stage: Buffer | undefined;
	#stageUsed = 0;

	#pendingSkip = 0;
	#skippedTotal = 0;

	constructor(limits?: Partial<FrameLimits>) {
		const {headerMax, bodyMax} = {...defaultFrameLimits, ...limits};
		if (!Number.isSafeInteger(headerMax) || headerMax < 16) {
			throw new RangeError(`headerMax must be an integer >= 16, got ${headerMax}`);
		}
		if (!Number.isSafeInteger(bodyMax) || bodyMax < 0) {
			throw new RangeError(`bodyMax must be an integer >= 0, got ${bodyMax}`);
		}
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

	/** Feed the next piece of the stream; returns what it completed, in stream order. */
	push(chunk: Buffer): DecoderEvent[] {
		const events: DecoderEvent[] = [];
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
		return events;
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
				this.#fail(
					events,
					'TRUNCATED_BODY',
					`stream ended after ${this.#bodyHave} of ${this.#bodyLength} body bytes`,
				);
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
		this.#appendBody(chunk.subarray(at, at + take));
		if (this.#bodyHave === this.#bodyLength) {
			this.#flushStage();
			const body = Buffer.concat(this.#bodyParts, this.#bodyLength);
			this.#bodyParts = [];
			this.#bodyHave = 0;
			this.#emitFrame(events, body);
		}
		return at + take;
	}

	#appendBody(piece: Buffer): void {
		this.#bodyHave += piece.length;
		if (piece.length >= stageSize) {
			this.#flushStage();
			this.#bodyParts.push(piece);
			return;
		}
		let from = 0;
		while (from < piece.length) {
			this.#stage ??= Buffer.allocUnsafe(stageSize);
			const copied = piece.copy(this.#stage, this.#stageUsed, from);
			this.#stageUsed += copied;
			from += copied;
			if (this.#stageUsed === stageSize) this.#flushStage();
		}
	}

	#flushStage(): void {
		if (this.#stage === undefined || this.#stageUsed === 0) return;
		this.#bodyParts.push(this.#stage.subarray(0, this.#stageUsed));
		this.#stage = undefined;
		this.#stageUsed = 0;
	}

	#parseHeader(bytes: Buffer, events: DecoderEvent[]): void {
		const error = this.#parseFields(bytes.toString('latin1', 0, bytes.length - 4));
		if (error !== undefined) {
			this.#fail(events, error[0], error[1]);
			return;
		}
		if (this.#bodyLength === 0) {
			this.#emitFrame(events, Buffer.alloc(0));
		} else {
			this.#state = 'body';
		}
	}

	/** Fills kind/tag/bodyLength, or returns the error. */
	#parseFields(text: string): [FramingErrorCode, string] | undefined {
		// Fast path: the exact header our writer sends, in one match (the general parse below
		// was the costliest JS of a ping round trip); anything else, or too long a body, below.
		const canonical = canonicalHeader.exec(text);
		if (canonical !== null) {
			const bodyLength = Number(canonical[2]);
			if (bodyLength <= this.#bodyMax) {
				this.#kind = canonical[1] === 'POST /RPC2 HTTP/1.1' ? 'request' : 'response';
				this.#bodyLength = bodyLength;
				this.#tag = canonical[3];
				return undefined;
			}
		}

		const lines = text.split('\r\n');
		const start = lines[0]!;
		if (requestLine.test(start)) {
			this.#kind = 'request';
		} else if (responseLine.test(start)) {
			this.#kind = 'response';
		} else {
			return ['BAD_START_LINE', `not a request or response: ${shown(start)}`];
		}

		let length: string | undefined;
		let tag: string | undefined;
		for (let i = 1; i < lines.length; i++) {
			const line = lines[i]!;
			const colon = line.indexOf(':');
			if (colon <= 0 || line.includes('\r') || line.includes('\n')) {
				return ['MALFORMED_HEADER', `bad header line: ${shown(line)}`];
			}
			const name = line.slice(0, colon);
			if (!token.test(name)) {
				return ['MALFORMED_HEADER', `bad header name: ${shown(name)}`];
			}
			const value = trimOws(line, colon + 1);
			const key = name.toLowerCase();
			if (key === 'content-length') {
				if (!decimal.test(value)) {
					return ['BAD_CONTENT_LENGTH', `not a decimal length: ${shown(value)}`];
				}
				if (length !== undefined && Number(length) !== Number(value)) {
					return ['BAD_CONTENT_LENGTH', `conflicting lengths ${length} and ${value}`];
				}
				length = value;
			} else if (key === 'x-virtagent-client-tag') {
				if (tag !== undefined && tag !== value) {
					return ['MALFORMED_HEADER', 'conflicting X-Virtagent-Client-Tag headers'];
				}
				if (value !== '' && !isValidTag(value)) {
					return ['MALFORMED_HEADER', `bad X-Virtagent-Client-Tag: ${shown(value)}`];
				}
				tag = value;
			}
		}

		if (length === undefined) return ['MISSING_CONTENT_LENGTH', 'no Content-Length header'];
		const bodyLength = Number(length);
		if (bodyLength > this.#bodyMax) {
			return ['BODY_TOO_LONG', `Content-Length ${bodyLength} exceeds ${this.#bodyMax}`];
		}
		this.#bodyLength = bodyLength;
		this.#tag = tag === '' ? undefined : tag;
		return undefined;
	}

	#emitFrame(events: DecoderEvent[], body: Buffer): void {
		events.push({type: 'frame', frame: {kind: this.#kind, tag: this.#tag, body}});
		this.#resetMessage();
		this.#state = 'boundary';
	}

	#fail(events: DecoderEvent[], code: FramingErrorCode, message: string): void {
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
		this.#headerLength = 0;
		this.#tag = undefined;
		this.#bodyLength = 0;
		this.#bodyHave = 0;
		this.#bodyParts = [];
		this.#stage = undefined;
		this.#stageUsed = 0;
	}

	#headerBuffer(): Buffer {
		return (this.#header ??= Buffer.allocUnsafe(this.#headerMax));
	}
}

/** Strip HTTP optional whitespace (SP/HTAB only) around a header value. */
function trimOws(line: string, from: number): string {
	let start = from;
	let end = line.length;
	while (start < end && isOws(line.charCodeAt(start))) start++;
	while (end > start && isOws(line.charCodeAt(end - 1))) end--;
	return line.slice(start, end);
}

function isOws(code: number): boolean {
	return code === 0x20 || code === 0x09;
}

/** A quoted excerpt of peer bytes for an error message: printable ASCII only, one line. */
function shown(text: string): string {
	return JSON.stringify(text.slice(0, 80)).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
