/**
 * qemu-ga's byte stream as events (docs/QGA.md): every reply is one JSON line ending in `\n`;
 * a `0xFF` byte is the delimiter that guest-sync-delimited puts before its reply (valid UTF-8,
 * hence valid JSON text, never holds it). Linear in the input, and never holds more than
 * `lineMax` bytes whatever the peer sends: a longer line is skipped to its end and reported.
 */
export type LineEvent =
	/** `bytes` without its newline; `lineText` decodes them, when needed (a reply read straight from its bytes never is). */
	| {readonly type: 'line'; readonly bytes: Buffer}
	/** A 0xFF byte; the unfinished line before it (if any) was dropped as `cut`. */
	| {readonly type: 'delimiter'}
	/** Bytes that never became a line: a line over the limit, or one cut off by a 0xFF. */
	| {readonly type: 'dropped'; readonly reason: 'overlong' | 'cut'; readonly bytes: number};

/** A line's text, decoded as UTF-8. */
export function lineText(line: {readonly bytes: Buffer}): string {
	return line.bytes.toString('utf8');
}

export const DELIMITER = 0xff;
const NEWLINE = 0x0a;

/** 64 MiB of base64 is what qemu-ga's largest read (48 MiB) sends; the default is lower. */
export const defaultLineMax = 16 * 1024 * 1024;

export class LineReader {
	readonly #lineMax: number;
	#parts: Buffer[] = [];
	#length = 0;
	/** Skipping the rest of an overlong line: bytes skipped so far. */
	#skipping: number | undefined;

	constructor(lineMax = defaultLineMax) {
		this.#lineMax = lineMax;
	}

	/** Bytes held for the unfinished line (for tests and the memory bound). */
	get buffered(): number {
		return this.#length;
	}

	/** Bytes of the unfinished line so far, held or (over the limit) skipped: a started line to time. */
	get pending(): number {
		return this.#skipping ?? this.#length;
	}

	push(chunk: Buffer): LineEvent[] {
		const events: LineEvent[] = [];
		// Each search starts where the last one ended, and a 0xFF found ahead is remembered:
		// one pass over the chunk however many lines it holds.
		let delimiter = chunk.indexOf(DELIMITER);
		let newline = chunk.indexOf(NEWLINE);
		if (newline >= 0 && newline === chunk.length - 1 && delimiter < 0 && this.#length === 0 && this.#skipping === undefined && newline <= this.#lineMax) {
			// The usual chunk: one whole reply, nothing held before it.
			return [{type: 'line', bytes: chunk.subarray(0, newline)}];
		}

		let start = 0;
		while (start < chunk.length) {
			if (delimiter >= 0 && delimiter < start) {
				delimiter = chunk.indexOf(DELIMITER, start);
			}

			if (newline >= 0 && newline < start) {
				newline = chunk.indexOf(NEWLINE, start);
			}

			const end = newline < 0 ? delimiter : delimiter < 0 ? newline : Math.min(newline, delimiter);
			this.#take(chunk.subarray(start, end < 0 ? chunk.length : end));
			if (end < 0) {
				break;
			}

			if (end === newline) {
				this.#endLine(events);
			} else {
				this.#cut(events);
				events.push({type: 'delimiter'});
			}

			start = end + 1;
		}

		return events;
	}

	/** Forget an unfinished line (the channel was reset). */
	reset(): void {
		this.#parts = [];
		this.#length = 0;
		this.#skipping = undefined;
	}

	#take(piece: Buffer): void {
		if (piece.length === 0) {
			return;
		}

		if (this.#skipping !== undefined) {
			this.#skipping += piece.length;
			return;
		}

		if (this.#length + piece.length > this.#lineMax) {
			this.#skipping = this.#length + piece.length;
			this.#parts = [];
			this.#length = 0;
			return;
		}

		// Held by reference (a socket's chunks are never reused), only until the line ends.
		this.#parts.push(piece);
		this.#length += piece.length;
	}

	#endLine(events: LineEvent[]): void {
		if (this.#skipping !== undefined) {
			events.push({type: 'dropped', reason: 'overlong', bytes: this.#skipping});
			this.#skipping = undefined;
			return;
		}

		const bytes = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#length);
		this.#parts = [];
		this.#length = 0;
		events.push({type: 'line', bytes});
	}

	#cut(events: LineEvent[]): void {
		if (this.#skipping !== undefined) {
			events.push({type: 'dropped', reason: 'overlong', bytes: this.#skipping});
		} else if (this.#length > 0) {
			events.push({type: 'dropped', reason: 'cut', bytes: this.#length});
		}

		this.reset();
	}
}
