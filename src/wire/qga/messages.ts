/**
 * qemu-ga's messages (docs/PROTOCOL.md §9, docs/QGA.md): a request is one JSON object
 * `{"execute": NAME, "arguments": {...}, "id": ID}` and a newline; a reply is
 * `{"return": X, "id": ID}` or `{"id": ID, "error": {"class": C, "desc": "..."}}` on one line.
 */
import {JsonInputError, parseBoundedJson} from './json.js';

export type QgaArguments = Readonly<Record<string, unknown>>;

/** The id this end puts on its requests; replies with any other id are foreign. */
export type QgaId = number | string;

/** `{"execute":NAME` as bytes, per command name; bounded, since the qga command sends any name. */
const executePrefixes = new Map<string, Buffer>();
const executePrefixesMax = 64;
/** A request's tail (its id, no arguments) up to this long is copied byte by byte. */
const shortTailMax = 48;

/** The same bytes as stringifying {execute, arguments, id}, without building that object (every request). */
export function encodeRequest(execute: string, args: QgaArguments | undefined, id: QgaId | undefined): Buffer {
	const argumentsPart = args === undefined ? '' : `,"arguments":${JSON.stringify(args)}`;
	const tail = `${argumentsPart}${id === undefined ? '' : `,"id":${JSON.stringify(id)}`}}\n`;
	let prefix = executePrefixes.get(execute);
	if (prefix === undefined) {
		prefix = Buffer.from(`{"execute":${JSON.stringify(execute)}`, 'utf8');
		if (executePrefixes.size < executePrefixesMax) {
			executePrefixes.set(execute, prefix);
		}
	}

	// Buffer.from(string) costs two calls into C++ (~0.4 µs here, a third of the encoding): the
	// usual request, a known name and an ASCII id, is a cached prefix and a few bytes.
	if (tail.length <= shortTailMax && isAscii(tail)) {
		const bytes = Buffer.allocUnsafe(prefix.length + tail.length);
		prefix.copy(bytes, 0);
		for (let i = 0, at = prefix.length; i < tail.length; i++, at++) {
			bytes[at] = tail.charCodeAt(i);
		}

		return bytes;
	}

	return Buffer.concat([prefix, Buffer.from(tail, 'utf8')]);
}

function isAscii(text: string): boolean {
	for (let i = 0; i < text.length; i++) {
		if (text.charCodeAt(i) > 0x7f) {
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
