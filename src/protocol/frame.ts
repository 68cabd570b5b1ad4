/** One message on the wire: a request (POST) or a response (HTTP/1.1 200 OK). */
export type FrameKind = 'request' | 'response';

export type Frame = {
	readonly kind: FrameKind;
	/** X-Virtagent-Client-Tag; undefined when a (v5) peer sent none. */
	readonly tag: string | undefined;
	readonly body: Buffer;
};

/** Named decoder errors (PROTOCOL.md §2). The decoder resyncs to the next 0xFF after each. */
export type FramingErrorCode =
	| 'HEADER_TOO_LONG'
	| 'TRUNCATED_HEADER'
	| 'BAD_START_LINE'
	| 'MALFORMED_HEADER'
	| 'MISSING_CONTENT_LENGTH'
	| 'BAD_CONTENT_LENGTH'
	| 'BODY_TOO_LONG'
	| 'TRUNCATED_BODY';

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
	| {readonly type: 'frame'; readonly frame: Frame}
	| {readonly type: 'error'; readonly error: FramingError}
	| {readonly type: 'skipped'; readonly bytes: number};
