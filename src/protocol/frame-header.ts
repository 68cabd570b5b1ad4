import {isWordByte} from './bytes.js';
import {canonicalHead, type Frame, type FrameKind, type FramingErrorCode, isValidTag, TAG_MAX_LENGTH} from './frame.js';

/*
 * The header of one message (PROTOCOL.md §2), start line through the last header line, as
 * latin1 text without the blank line. Decisions (see also frame-decoder.ts):
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
 * Every pattern is linear (anchored, no two quantifiers over the same characters).
 */

const requestLine = /^POST [\x21-\x7e]+ HTTP\/1\.[0-9]$/;
const responseLine = /^HTTP\/1\.[0-9] [0-9]{3}(?: [^\r\n]*)?$/;
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const decimal = /^[0-9]{1,15}$/;
/** What frame-encoder.ts writes (minus the blank line), parsed in one match. */
const canonicalHeader =
	/^(POST \/RPC2 HTTP\/1\.1|HTTP\/1\.1 200 OK)\r\nContent-Type: text\/xml\r\nContent-Length: ([0-9]{1,15})\r\nX-Virtagent-Client-Tag: ([A-Za-z0-9._-]{1,64})$/;

export type HeaderFields = {readonly kind: FrameKind; readonly tag: string | undefined; readonly bodyLength: number};
export type HeaderError = {readonly code: FramingErrorCode; readonly message: string};

export function parseHeaderFields(text: string, bodyMax: number): HeaderFields | HeaderError {
	// Fast path: the exact header our writer sends, in one match (the general parse below
	// was the costliest JS of a ping round trip); anything else, or too long a body, below.
	const canonical = canonicalHeader.exec(text);
	if (canonical !== null) {
		const bodyLength = Number(canonical[2]);
		if (bodyLength <= bodyMax) {
			return {kind: canonical[1] === 'POST /RPC2 HTTP/1.1' ? 'request' : 'response', tag: canonical[3], bodyLength};
		}
	}

	const lines = text.split('\r\n');
	const start = lines[0]!;
	let kind: FrameKind;
	if (requestLine.test(start)) {
		kind = 'request';
	} else if (responseLine.test(start)) {
		kind = 'response';
	} else {
		return {code: 'BAD_START_LINE', message: `not a request or response: ${shown(start)}`};
	}

	let length: string | undefined;
	let tag: string | undefined;
	for (let i = 1; i < lines.length; i++) {
		const line = lines[i]!;
		const colon = line.indexOf(':');
		if (colon <= 0 || line.includes('\r') || line.includes('\n')) {
			return {code: 'MALFORMED_HEADER', message: `bad header line: ${shown(line)}`};
		}

		const name = line.slice(0, colon);
		if (!token.test(name)) {
			return {code: 'MALFORMED_HEADER', message: `bad header name: ${shown(name)}`};
		}

		const value = trimOws(line, colon + 1);
		const key = name.toLowerCase();
		if (key === 'content-length') {
			if (!decimal.test(value)) {
				return {code: 'BAD_CONTENT_LENGTH', message: `not a decimal length: ${shown(value)}`};
			}

			if (length !== undefined && Number(length) !== Number(value)) {
				return {code: 'BAD_CONTENT_LENGTH', message: `conflicting lengths ${length} and ${value}`};
			}

			length = value;
		} else if (key === 'x-virtagent-client-tag') {
			if (tag !== undefined && tag !== value) {
				return {code: 'MALFORMED_HEADER', message: 'conflicting X-Virtagent-Client-Tag headers'};
			}

			if (value !== '' && !isValidTag(value)) {
				return {code: 'MALFORMED_HEADER', message: `bad X-Virtagent-Client-Tag: ${shown(value)}`};
			}

			tag = value;
		}
	}

	if (length === undefined) {
		return {code: 'MISSING_CONTENT_LENGTH', message: 'no Content-Length header'};
	}

	const bodyLength = Number(length);
	if (bodyLength > bodyMax) {
		return {code: 'BODY_TOO_LONG', message: `Content-Length ${bodyLength} exceeds ${bodyMax}`};
	}

	return {kind, tag: tag === '' ? undefined : tag, bodyLength};
}

/** A header read by readCanonicalHeader, and where it ends (after its blank line). */
export type CanonicalHeader = HeaderFields & {readonly end: number};

/**
 * The exact header frame-encoder.ts writes (every call's and every answer's), read in one pass
 * from `at` (the byte after the sentinel): the length's digits and the tag's bytes are scanned,
 * and the header is made one latin1 string (one native call, ~700 instructions; a JS loop over
 * its ~90 bytes costs ~2k) whose text before the tag must be the expected text, and whose rest
 * is the tag. Undefined for anything else: another spelling, a header not whole in `bytes`, one
 * over `headerMax`, a length over `bodyMax`; the general parse then decides, errors included.
 */
export function readCanonicalHeader(bytes: Buffer, at: number, headerMax: number, bodyMax: number): CanonicalHeader | undefined {
	// Per kind by a test, not by a keyed look-up (those go megamorphic at a site every frame passes).
	const request = bytes[at] === 0x50;
	const length = bytes.length;
	const digits = at + (request ? canonicalHead.request.length : canonicalHead.response.length);
	let i = digits;
	let bodyLength = 0;
	for (; i < length && i - digits <= 15; i++) {
		const digit = bytes[i]! - 0x30;
		if (digit < 0 || digit > 9) {
			break;
		}

		bodyLength = bodyLength * 10 + digit;
	}

	if (i === digits || i - digits > 15) {
		return undefined;
	}

	const tagStart = i + canonicalHead.tagLine.length;
	const tagStop = Math.min(length, tagStart + TAG_MAX_LENGTH + 1);
	let end = tagStart;
	while (end < tagStop && isWordByte(bytes[end]!)) {
		end++;
	}

	const tagBytes = end - tagStart;
	if (
		tagBytes === 0 ||
		tagBytes > TAG_MAX_LENGTH ||
		end + 3 >= length ||
		bytes[end] !== 0x0d ||
		bytes[end + 1] !== 0x0a ||
		bytes[end + 2] !== 0x0d ||
		bytes[end + 3] !== 0x0a
	) {
		return undefined;
	}

	if (end + 4 - at > headerMax || bodyLength > bodyMax) {
		return undefined;
	}

	// Every byte but the tag's, checked last (the scans above found where each part must be).
	const expected = expectedHead(request, bodyLength);
	if (expected.length !== tagStart - at) {
		return undefined; // The length was written with leading zeros.
	}

	const text = bytes.toString('latin1', at, end);
	if (text.slice(0, expected.length) !== expected) {
		return undefined;
	}

	return {kind: request ? 'request' : 'response', tag: text.slice(expected.length), bodyLength, end: end + 4};
}

/**
 * A chunk that is exactly one frame our writer wrote (sentinel, canonical header, its whole body
 * and nothing more): the usual chunk on a ping path. Undefined otherwise. The body is a view of
 * the chunk, as the decoder's own is.
 */
export function readWholeFrame(chunk: Buffer, headerMax: number, bodyMax: number): Frame | undefined {
	if (chunk.length < 2 || chunk[0] !== 0xff) {
		return undefined;
	}

	const header = readCanonicalHeader(chunk, 1, headerMax, bodyMax);
	if (header === undefined || header.end + header.bodyLength !== chunk.length) {
		return undefined;
	}

	return {kind: header.kind, tag: header.tag, body: header.bodyLength === 0 ? Buffer.alloc(0) : chunk.subarray(header.end)};
}

/** The header text up to its tag for the last length seen, per kind: a ping loop's lengths repeat. */
const lastRequestHead = {bodyLength: -1, text: ''};
const lastResponseHead = {bodyLength: -1, text: ''};

function expectedHead(request: boolean, bodyLength: number): string {
	const last = request ? lastRequestHead : lastResponseHead;
	if (last.bodyLength !== bodyLength) {
		// Made flat (a sequential string), as the string read from the bytes is: comparing a
		// concatenation would take V8's slow path on every frame.
		last.text = Buffer.from(`${request ? canonicalHead.request : canonicalHead.response}${bodyLength}${canonicalHead.tagLine}`, 'latin1').toString('latin1');
		last.bodyLength = bodyLength;
	}

	return last.text;
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
	return JSON.stringify(text.slice(0, 80)).replace(/[^\x20-\x7e]/g, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
