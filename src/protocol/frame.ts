import {isWordByte} from './bytes.js';

/** One message on the wire: a request (POST) or a response (HTTP/1.1 200 OK). */
export type FrameKind = 'request' | 'response';

export type Frame = {
	readonly kind: FrameKind;
	/** X-Virtagent-Client-Tag; undefined when a (v5) peer sent none. */
	readonly tag: string | undefined;
	readonly body: Buffer;
};

/** The header our writer sends (frame-encoder.ts) and the one-pass reader expects (frame-header.ts). */
export const canonicalHead = {
	request: 'POST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: ',
	response: 'HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: ',
	tagLine: '\r\nX-Virtagent-Client-Tag: ',
	end: '\r\n\r\n',
} as const;

/**
 * The tag grammar of PROTOCOL.md §2: 1–64 characters of `A-Z a-z 0-9 . _ -`. The reader refuses
 * anything else (MALFORMED_HEADER) and the writer accepts exactly this, so a tag read from the
 * peer can always be written back in the answer.
 */
export const TAG_MAX_LENGTH = 64;

/** A loop, not a pattern: every frame written checks its tag, and a regular expression call cost several times more. */
export function isValidTag(tag: string): boolean {
	if (tag.length === 0 || tag.length > TAG_MAX_LENGTH) {
		return false;
	}

	for (let i = 0; i < tag.length; i++) {
		if (!isWordByte(tag.charCodeAt(i))) {
			return false;
		}
	}

	return true;
}

/** Named decoder errors (PROTOCOL.md §2). The decoder resyncs to the next 0xFF after each. */
export type FramingErrorCode =
	| 'HEADER_TOO_LONG'
	| 'TRUNCATED_HEADER'
	| 'BAD_START_LINE'
	| 'MALFORMED_HEADER'
	| 'MISSING_CONTENT_LENGTH'
	| 'BAD_CONTENT_LENGTH'
	| 'BODY_TOO_LONG'
	| 'TRUNCATED_BODY'
	| 'STALLED_FRAME';

export class FramingError extends Error {
	override readonly name = 'FramingError';
	constructor(
		readonly code: FramingErrorCode,
		message: string,
	) {
		super(`${code}: ${message}`);
	}
}

/** What the decoder reports, in stream order. */
export type DecoderEvent =
	{readonly type: 'frame'; readonly frame: Frame} | {readonly type: 'error'; readonly error: FramingError} | {readonly type: 'skipped'; readonly bytes: number};
