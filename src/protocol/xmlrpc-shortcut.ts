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

/** A method call without parameters, written as codec.ts writes it; undefined otherwise. */
export function shortCall(body: Buffer): DecodedCall | undefined {
	const end = runEnd(body, callStart, callEnd, isWordByte);
	// Method names are ASCII here: latin1 is their UTF-8.
	return end > callStart.length ? {method: body.toString('latin1', callStart.length, end), params: noParams} : undefined;
}

/** A success response carrying one non-empty string, written as codec.ts writes it; undefined otherwise. */
export function shortStringResponse(body: Buffer): DecodedResponse | undefined {
	const end = runEnd(body, stringStart, stringEnd, isTextByte);
	return end > stringStart.length ? {ok: true, value: body.toString('utf8', stringStart.length, end)} : undefined;
}

/** Where the run between `start` and `end` ends, when `body` is exactly that; else -1. */
function runEnd(body: Buffer, start: Buffer, end: Buffer, inRun: (byte: number) => boolean): number {
	const runStop = body.length - end.length;
	if (runStop < start.length || !matchesAt(body, 0, start) || !matchesAt(body, runStop, end)) {
		return -1;
	}

	for (let i = start.length; i < runStop; i++) {
		if (!inRun(body[i]!)) {
			return -1;
		}
	}

	return runStop;
}

/** Printable ASCII but `<`, `&` and `>`, and the bytes of multi-byte UTF-8 (whatever they hold, the scanner passes them on too). */
function isTextByte(byte: number): boolean {
	return byte >= 0x20 && byte !== 0x3c && byte !== 0x26 && byte !== 0x3e && byte !== 0x7f;
}
