import {canonicalHead, type FrameKind, isValidTag} from './frame.js';

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
	const tagValue = tag === undefined || tag === '' ? NO_TAG : tag;
	if (!isValidTag(tagValue)) {
		throw new TypeError(`invalid X-Virtagent-Client-Tag ${JSON.stringify(tagValue.slice(0, 80))}: 1-64 of A-Z a-z 0-9 . _ - only`);
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
