/**
 * qemu-ga's messages (docs/PROTOCOL.md §9, docs/QGA.md): a request is one JSON object
 * `{"execute": NAME, "arguments": {...}, "id": ID}` and a newline; a reply is
 * `{"return": X, "id": ID}` or `{"id": ID, "error": {"class": C, "desc": "..."}}` on one line.
 */
import {JsonInputError, parseBoundedJson} from './json.js';

export type QgaArguments = Readonly<Record<string, unknown>>;

/** The id this end puts on its requests; replies with any other id are foreign. */
export type QgaId = number | string;

/** `{"execute":NAME,"id":"` as bytes, per command name; bounded, since the qga command sends any name. */
const idRequestHeads = new Map<string, Buffer>();
const idRequestHeadsMax = 64;
/** An id up to this long, of characters JSON writes as they are, is copied byte by byte. */
const plainIdMax = 64;

/** The same bytes as stringifying {execute, arguments, id}, without building that object (every request). */
export function encodeRequest(execute: string, args: QgaArguments | undefined, id: QgaId | undefined): Buffer {
	if (args === undefined && typeof id === 'string' && isPlainId(id)) {
		return idRequest(execute, id);
	}

	const argumentsPart = args === undefined ? '' : `,"arguments":${JSON.stringify(args)}`;
	const idPart = id === undefined ? '' : `,"id":${JSON.stringify(id)}`;
	return Buffer.from(`{"execute":${JSON.stringify(execute)}${argumentsPart}${idPart}}\n`, 'utf8');
}

/**
 * The usual request, no arguments and this end's key as its id, as a cached head, the id and
 * `"}\n`, written byte by byte: Buffer.from(string) costs two calls into C++ and JSON.stringify
 * a third, together most of what encoding a ping cost.
 */
function idRequest(execute: string, id: string): Buffer {
	let head = idRequestHeads.get(execute);
	if (head === undefined) {
		head = Buffer.from(`{"execute":${JSON.stringify(execute)},"id":"`, 'utf8');
		if (idRequestHeads.size < idRequestHeadsMax) {
			idRequestHeads.set(execute, head);
		}
	}

	const bytes = Buffer.allocUnsafe(head.length + id.length + 3);
	let at = 0;
	for (; at < head.length; at++) {
		bytes[at] = head[at]!;
	}

	for (let i = 0; i < id.length; i++, at++) {
		bytes[at] = id.charCodeAt(i);
	}

	bytes[at] = 0x22; // "
	bytes[at + 1] = 0x7d; // }
	bytes[at + 2] = 0x0a; // newline
	return bytes;
}

/** Printable ASCII but `"` and `\`: JSON writes these as they are, so the bytes are the characters. */
function isPlainId(id: string): boolean {
	if (id.length > plainIdMax) {
		return false;
	}

	for (let i = 0; i < id.length; i++) {
		const code = id.charCodeAt(i);
		if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) {
			return false;
		}
	}

	return true;
}

export type QgaErrorBody = {readonly class: string; readonly desc: string};

export type QgaReply =
	{readonly kind: 'return'; readonly id: unknown; readonly value: unknown} | {readonly kind: 'error'; readonly id: unknown; readonly error: QgaErrorBody};

/** A reply line, or JsonInputError saying why it is not one. `id` is undefined when absent. */
export function parseReply(line: string): QgaReply {
	const message = parseBoundedJson(line);
	if (typeof message !== 'object' || message === null || Array.isArray(message)) {
		throw new JsonInputError('a reply must be a JSON object');
	}

	const fields = message as Record<string, unknown>;
	const id = Object.hasOwn(fields, 'id') ? fields['id'] : undefined;
	if (Object.hasOwn(fields, 'return')) {
		return {kind: 'return', id, value: fields['return']};
	}

	const error = fields['error'];
	if (typeof error === 'object' && error !== null && !Array.isArray(error)) {
		const {class: errorClass, desc} = error as Record<string, unknown>;
		return {
			kind: 'error',
			id,
			error: {class: typeof errorClass === 'string' ? errorClass : 'GenericError', desc: typeof desc === 'string' ? desc : JSON.stringify(desc ?? null)},
		};
	}

	throw new JsonInputError('a reply holds neither "return" nor "error"');
}

/** qemu-ga's answer to the 0xFF this end sends before a sync; expected once, then skipped. */
export function isStrayDelimiterError(reply: QgaReply): boolean {
	return reply.kind === 'error' && reply.id === undefined && reply.error.desc.startsWith('JSON parse error, stray');
}
