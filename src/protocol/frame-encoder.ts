import type {FrameKind} from './frame.js';
import {defaultFrameLimits} from './limits.js';

/*
 * Writer side of PROTOCOL.md §2: 0xFF, start line, the three headers, blank line, body.
 * The fixed parts are pre-encoded once; each frame is one allocation plus a few copies.
 */

const requestHead = Buffer.from(
	'\xffPOST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: ',
	'latin1',
);
const responseHead = Buffer.from(
	'\xffHTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: ',
	'latin1',
);
const tagLine = '\r\nX-Virtagent-Client-Tag: ';
const headerEnd = '\r\n\r\n';

/** What v6 writers send for an empty tag; we send it for a missing one too. */
export const NO_TAG = 'none';

// Visible ASCII only: no CR/LF/0xFF can reach the wire, no leading/trailing space
// that a reader would trim, and latin1 write/read round-trips the tag exactly.
const validTag = /^[\x21-\x7e]+$/;

/**
 * Encode one message for the wire.
 *
 * @param tag - X-Virtagent-Client-Tag; undefined or '' is written as `none`. Must be visible
 *   ASCII (0x21–0x7E); anything else (CR, LF, 0xFF, spaces, non-ASCII) throws a TypeError.
 * @throws RangeError when the header would exceed the protocol's 4096-byte header limit
 *   (only possible with an absurdly long tag). The body size is the caller's business.
 */
export function encodeFrame(kind: FrameKind, tag: string | undefined, body: Buffer): Buffer {
	const tagValue = tag === undefined || tag === '' ? NO_TAG : tag;
	if (tagValue !== NO_TAG && !validTag.test(tagValue)) {
		throw new TypeError(
			`invalid X-Virtagent-Client-Tag ${JSON.stringify(tagValue)}: only visible ASCII (0x21-0x7E) is allowed`,
		);
	}

	const head = kind === 'request' ? requestHead : responseHead;
	const length = String(body.length);
	// Sentinel excluded: headerMax counts the start line through the blank line.
	const headerBytes =
		head.length - 1 + length.length + tagLine.length + tagValue.length + headerEnd.length;
	if (headerBytes > defaultFrameLimits.headerMax) {
		throw new RangeError(
			`frame header of ${headerBytes} bytes exceeds ${defaultFrameLimits.headerMax} (tag too long)`,
		);
	}

	const out = Buffer.allocUnsafe(1 + headerBytes + body.length);
	let at = head.copy(out, 0);
	at += out.write(length, at, 'latin1');
	at += out.write(tagLine, at, 'latin1');
	at += out.write(tagValue, at, 'latin1');
	at += out.write(headerEnd, at, 'latin1');
	body.copy(out, at);
	return out;
}
