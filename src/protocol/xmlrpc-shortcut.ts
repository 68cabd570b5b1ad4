import {isWordByte, matchesAt} from './bytes.js';
import type {DecodedCall, DecodedResponse} from './value.js';

/*
 * The two commonest bodies on the channel, read straight from their bytes: a call without
 * parameters (va.ping, va.capabilities, system.listMethods…) and a response carrying one
 * plain string ('dummy'), exactly as codec.ts writes them. Each is a prefix, a run of
 * plain characters and a suffix, compared in one pass: no document string, no scanner, no
 * builder. Anything else, one byte off included, is left to the general reader (undefined),
 * which stays the one that decides errors. The run's bytes are those the scanner passes on
 * unchanged (no markup, no entity, no CR, no control character), so either way the result
 * is the same (test/protocol/xmlrpc-shortcut.test.ts).
 */

const callStart = Buffer.from('<?xml version="1.0"?><methodCall><methodName>', 'latin1');
const callEnd = Buffer.from('</methodName><params/></methodCall>', 'latin1');
const stringStart = Buffer.from('<?xml version="1.0"?><methodResponse><params><param><value><string>', 'latin1');
const stringEnd = Buffer.from('</string></value></param></params></methodResponse>', 'latin1');
const noParams: readonly never[] = Object.freeze([]);

/**
 * The last body a shortcut took and what it read there, both frozen: a host pinging repeats its
 * call, a guest its answer, and one compare of the whole body (native, ~600 instructions) costs
 * a fifth of the byte loop below. Whatever the bytes hold, the result is the same as reading them.
 */
class LastBody<T> {
	#bytes: Buffer | undefined;
	#read: T | undefined;

	find(body: Buffer): T | undefined {
		return this.#bytes !== undefined && body.equals(this.#bytes) ? this.#read : undefined;
	}

	keep(body: Buffer, read: T): T {
		if (body.length <= lastBodyMax) {
			this.#bytes = Buffer.from(body); // Owned: the body is a view of a chunk.
			this.#read = read;
		}

		return read;
	}
}

/** Longer bodies are not remembered: a big answer is seldom read twice. */
const lastBodyMax = 512;
const lastCall = new LastBody<DecodedCall>();
const lastString = new LastBody<DecodedResponse>();

/** A method call without parameters, written as codec.ts writes it; undefined otherwise. */
export function shortCall(body: Buffer): DecodedCall | undefined {
	const known = lastCall.find(body);
	if (known !== undefined) {
		return known;
	}

	const end = wholeRun(body, callStart, callEnd, isWordByte);
	if (end < 0) {
		return undefined;
	}

	// Method names are ASCII here: latin1 is their UTF-8.
	return lastCall.keep(body, Object.freeze({method: body.toString('latin1', callStart.length, end), params: noParams}));
}

/** A success response carrying one non-empty string, written as codec.ts writes it; undefined otherwise. */
export function shortStringResponse(body: Buffer): DecodedResponse | undefined {
	const known = lastString.find(body);
	if (known !== undefined) {
		return known;
	}

	const end = wholeRun(body, stringStart, stringEnd, isTextByte);
	if (end < 0) {
		return undefined;
	}

	return lastString.keep(body, Object.freeze({ok: true, value: body.toString('utf8', stringStart.length, end)}));
}

/**
 * Where the run between `start` and `end` ends, when `body` is exactly `start`, a non-empty run
 * of `allowed` bytes and `end`; else -1.
 */
function wholeRun(body: Buffer, start: Buffer, end: Buffer, allowed: (byte: number) => boolean): number {
	const stop = runEnd(body, start, end);
	if (stop <= start.length) {
		return -1;
	}

	for (let i = start.length; i < stop; i++) {
		if (!allowed(body[i]!)) {
			return -1;
		}
	}

	return stop;
}

/** Where the run between `start` and `end` ends, when `body` begins and ends with them; else -1. */
function runEnd(body: Buffer, start: Buffer, end: Buffer): number {
	const runStop = body.length - end.length;
	return runStop >= start.length && matchesAt(body, 0, start) && matchesAt(body, runStop, end) ? runStop : -1;
}

/** Printable ASCII but `<`, `&` and `>`, and the bytes of multi-byte UTF-8 (whatever they hold, the scanner passes them on too). */
function isTextByte(byte: number): boolean {
	return byte >= 0x20 && byte !== 0x3c && byte !== 0x26 && byte !== 0x3e && byte !== 0x7f;
}
