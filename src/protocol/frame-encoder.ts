import {isWordByte} from './bytes.js';
import {canonicalHead, type FrameKind, isValidTag, TAG_MAX_LENGTH} from './frame.js';

/*
 * Writer side of PROTOCOL.md §2: 0xFF, start line, the three headers, blank line, body.
 * Each frame is one allocation: the header is one ASCII string written after the sentinel.
 */

const sentinel = 0xff;

/** What v6 writers send for an empty tag; we send it for a missing one too. */
export const NO_TAG = 'none';

/**
 * The header text (start line through the blank line, no sentinel) for a body of `bodyBytes`.
 *
 * @param tag - X-Virtagent-Client-Tag; undefined or '' is written as `none`. Must follow the tag
 *   grammar (1–64 of `A-Z a-z 0-9 . _ -`, see frame.ts), which is also what the decoder accepts:
 *   a tag read from the peer never makes this throw. Anything else throws a TypeError. With at
 *   most 64 tag bytes the header stays far below the 4096-byte limit, and it is ASCII: one
 *   byte per character.
 */
function headerText(kind: FrameKind, tag: string | undefined, bodyBytes: number): string {
	const tagValue = tagOrNone(tag);
	if (!isValidTag(tagValue)) {
		throw invalidTag(tagValue);
	}

	return `${canonicalHead[kind]}${bodyBytes}${canonicalHead.tagLine}${tagValue}${canonicalHead.end}`;
}

/** Encode one message for the wire (see headerText for the tag). The body size is the caller's business. */
export function encodeFrame(kind: FrameKind, tag: string | undefined, body: Buffer): Buffer {
	const header = headerText(kind, tag, body.length);
	const out = Buffer.allocUnsafe(1 + header.length + body.length);
	out[0] = sentinel;
	out.write(header, 1, 'latin1');
	body.copy(out, 1 + header.length);
	return out;
}

/**
 * Encode one message whose body is still text (UTF-8 of `bodyBytes` bytes, which the caller
 * has counted for its size limit): one allocation and one write, the body never a buffer of
 * its own. This is every call's and every answer's path. The body is the frame's last
 * `bodyBytes` bytes.
 */
export function encodeTextFrame(kind: FrameKind, tag: string | undefined, body: string, bodyBytes: number): Buffer {
	const header = headerText(kind, tag, bodyBytes);
	const frame = Buffer.allocUnsafe(1 + header.length + bodyBytes);
	frame[0] = sentinel;
	// As many UTF-8 bytes as UTF-16 units means every character is ASCII (anything else takes
	// more bytes than units): then latin1 writes the same bytes, as a plain copy.
	frame.write(header + body, 1, bodyBytes === body.length ? 'latin1' : 'utf8');
	return frame;
}

/**
 * Every byte of the frames of one kind and one body but the tag's: a ping loop writes the same
 * frame again and again with a new tag. A frame is then two copies around the tag's characters,
 * written and checked in one loop: no header string, no joined text to flatten, no native write
 * (those were ~1.8k of a ~2k frame). The bytes are exactly encodeTextFrame's.
 */
export class FrameTemplate {
	readonly #head: Buffer;
	readonly #tail: Buffer;
	/** The last frame made: the next one with a tag of the same length is a copy of it. */
	#last: Buffer | undefined = undefined;

	constructor(kind: FrameKind, body: string, bodyBytes: number) {
		this.#head = Buffer.from(`\xff${canonicalHead[kind]}${bodyBytes}${canonicalHead.tagLine}`, 'latin1');
		this.#tail = Buffer.from(`${canonicalHead.end}${body}`, 'utf8');
	}

	/** The frame with this tag (as headerText: undefined or '' is `none`; a tag off the grammar throws a TypeError). */
	frame(tag: string | undefined): Buffer {
		const tagValue = tagOrNone(tag);
		const head = this.#head;
		if (tagValue.length > TAG_MAX_LENGTH) {
			throw invalidTag(tagValue);
		}

		const frame = Buffer.allocUnsafe(head.length + tagValue.length + this.#tail.length);
		const last = this.#last;
		if (last?.length === frame.length) {
			frame.set(last); // A tag as long as the last one's: one copy, and the tag written over.
		} else {
			frame.set(head, 0);
			frame.set(this.#tail, head.length + tagValue.length);
		}

		let at = head.length;
		for (let i = 0; i < tagValue.length; i++) {
			const code = tagValue.charCodeAt(i);
			if (!isWordByte(code)) {
				throw invalidTag(tagValue);
			}

			frame[at++] = code;
		}

		this.#last = frame; // Only ever read again: nobody writes into a frame once it is made.
		return frame;
	}
}

/** The tag as written: a missing or empty one is `none`. */
function tagOrNone(tag: string | undefined): string {
	return tag === undefined || tag === '' ? NO_TAG : tag;
}

function invalidTag(tag: string): TypeError {
	return new TypeError(`invalid X-Virtagent-Client-Tag ${JSON.stringify(tag.slice(0, 80))}: 1-64 of A-Z a-z 0-9 . _ - only`);
}
