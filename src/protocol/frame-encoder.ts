import {type FrameKind, isValidTag} from './frame.js';

/*
 * Writer side of PROTOCOL.md §2: 0xFF, start line, the three headers, blank line, body.
 * The fixed parts are pre-encoded once; each frame is one allocation plus a few copies.
 */

const requestHead = Buffer.from('\xffPOST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: ', 'latin1');
const responseHead = Buffer.from('\xffHTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: ', 'latin1');
const tagLine = '\r\nX-Virtagent-Client-Tag: ';
const headerEnd = '\r\n\r\n';

/** What v6 writers send for an empty tag; we send it for a missing one too. */
export const NO_TAG = 'none';

/**
 * Encode one message for the wire.
 *
 * @param tag - X-Virtagent-Client-Tag; undefined or '' is written as `none`. Must follow the tag
 *   grammar (1–64 of `A-Z a-z 0-9 . _ -`, see frame.ts), which is also what the decoder accepts:
 *   a tag read from the peer never makes this throw. Anything else throws a TypeError. With at
 *   most 64 tag bytes the header stays far below the 4096-byte limit. The body size is the
 *   caller's business.
 */
export function encodeFrame(kind: FrameKind, tag: string | undefined, body: Buffer): Buffer {
	const tagValue = tag === undefined || tag === '' ? NO_TAG : tag;
	if (!isValidTag(tagValue)) {
		throw new TypeError(`invalid X-Virtagent-Client-Tag ${JSON.stringify(tagValue.slice(0, 80))}: 1-64 of A-Z a-z 0-9 . _ - only`);
	}

	const head = kind === 'request' ? requestHead : responseHead;
	const length = String(body.length);
	// Sentinel excluded: headerMax counts the start line through the blank line.
	const headerBytes = head.length - 1 + length.length + tagLine.length + tagValue.length + headerEnd.length;

	const out = Buffer.allocUnsafe(1 + headerBytes + body.length);
	let at = head.copy(out, 0);
	at += out.write(length, at, 'latin1');
	at += out.write(tagLine, at, 'latin1');
	at += out.write(tagValue, at, 'latin1');
	at += out.write(headerEnd, at, 'latin1');
	body.copy(out, at);
	return out;
}
