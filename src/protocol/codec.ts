/**
 * The XML-RPC codec of PROTOCOL.md §3.
 *
 * Encoding is hand-written: every value needs a pass anyway (sanitizing strings, refusing
 * `undefined`, choosing int/i8/double, writing dates as UTC), and the library's serializer
 * (xmlbuilder) throws on control characters, writes big integers as `<int>`, drops bigint and
 * writes dates in local time. The output matches the library's byte for byte wherever the library
 * is right (checked in test/protocol/codec.test.ts) and is read back by Python's xmlrpc.client.
 *
 * Decoding is xmlrpc-reader.ts (the fast scanner, else sax, building values on a flat stack),
 * after xmlrpc-shortcut.ts for the two commonest bodies; this file adds the call/response checks.
 *
 * Decisions:
 * - NaN and ±Infinity have no XML-RPC representation: encoding throws a TypeError (Python writes
 *   `inf`, which nobody else reads); a non-finite `<double>` does not decode.
 * - Integers in the i4 range are `<int>`; other safe integers and every bigint are `<i8>` (a bigint
 *   outside 64 bits throws); an integer-valued number beyond 2^53 is a `<double>`, which reads back
 *   as the same number. `<int>`/`<i4>` beyond the i4 range are read leniently like `<i8>`
 *   (anything outside 64 bits is a parse error). Python refuses to write ints beyond i4 at all.
 * - Dates are written `YYYYMMDDTHH:MM:SS` in UTC without a zone suffix (XML-RPC's own format;
 *   Python rejects a `Z`), milliseconds truncated; read with optional hyphens, fraction and
 *   offset. The library's global dateFormatter is not touched.
 * - `<value>` without a type tag is a string (XML-RPC); `<base64>` is read as leniently as
 *   Buffer.from(…, 'base64') and Python do (whitespace, Python's line breaks).
 * - A Uint8Array that is not a Buffer is base64 too; other class instances (Map, Set, …) throw.
 */
import {CodecError, type DecodedCall, type DecodedResponse, type Fault, MAX_NESTING, type XmlRpcValue} from './value.js';
import {readXmlRpc} from './xmlrpc-reader.js';
import {shortCall, shortStringResponse} from './xmlrpc-shortcut.js';

const I4_MIN = -0x8000_0000;
const I4_MAX = 0x7fff_ffff;
// -(2n ** 63n) and 2n ** 63n - 1n, written out: BigInt arithmetic at the top level was new code before the guest's hello.
const I8_MIN = -9_223_372_036_854_775_808n;
const I8_MAX = 9_223_372_036_854_775_807n;

// ---------------------------------------------------------------------------------------------
// Encoding

/** C0 controls but TAB/LF/CR, U+FFFE/U+FFFF, and surrogates not in a pair. */
const FORBIDDEN = /[\0-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Anything that may need sanitizing or escaping; most strings have none and are used as is. */
const SPECIAL = /[\0-\x08\x0b\x0c\x0e-\x1f&<>\r\ud800-\udfff\ufffe\uffff]/;
const ESCAPED = /[&<>\r]/g;
const ESCAPES: Readonly<Record<string, string>> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;'};

/** Replaces every character XML 1.0 forbids with U+FFFD. Never throws. */
export function sanitizeXmlString(s: string): string {
	return s.replace(FORBIDDEN, '\ufffd');
}

/**
 * What SPECIAL matches, without the pattern, for short strings (method names, the hello's): V8
 * compiles a pattern at its first runs, and under emulation that was more of the guest's start-up
 * than this loop. Long strings take the pattern, ~3x faster per character once compiled.
 */
function shortHasSpecial(s: string): boolean {
	for (let i = 0; i < s.length; i++) {
		const code = s.charCodeAt(i);
		if (
			code < 0x20
				? code !== 0x09 && code !== 0x0a
				: code === 0x26 || code === 0x3c || code === 0x3e || (code >= 0xd8_00 && (code <= 0xdf_ff || code >= 0xff_fe))
		) {
			return true;
		}
	}

	return false;
}

/** Sanitized and escaped element text. CR is escaped so that XML parsers do not turn it into LF. */
function text(s: string): string {
	if (s.length <= 32 ? !shortHasSpecial(s) : !SPECIAL.test(s)) {
		return s;
	}
	return sanitizeXmlString(s).replace(ESCAPED, c => ESCAPES[c]!);
}

/** Thrown inside the encoder; each enclosing array/struct adds its step to `path`. */
class EncodeError extends Error {
	readonly path: (string | number)[] = [];
}

function formatPath(root: string, path: readonly (string | number)[]): string {
	let out = root;
	for (const step of path) {
		out += typeof step === 'number' ? `[${step}]` : /^[A-Za-z_$][\w$]*$/.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
	}
	return out;
}

function two(n: number): string {
	return n < 10 ? `0${n}` : `${n}`;
}

/** `YYYYMMDDTHH:MM:SS` in UTC, the format of the XML-RPC spec and Python. */
function formatDate(date: Date): string {
	const year = date.getUTCFullYear();
	if (Number.isNaN(year)) {
		throw new EncodeError('an invalid Date');
	}
	if (year < 0 || year > 9999) {
		throw new EncodeError(`a Date outside years 0000-9999 (${year})`);
	}
	return `${String(year).padStart(4, '0')}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}T${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
}

function encodeNumber(n: number): string {
	if (Number.isInteger(n)) {
		if (n >= I4_MIN && n <= I4_MAX) {
			return `<value><int>${n}</int></value>`;
		}
		if (Number.isSafeInteger(n)) {
			return `<value><i8>${n}</i8></value>`;
		}
	} else if (!Number.isFinite(n)) {
		throw new EncodeError(`${n} (XML-RPC has no representation for NaN or Infinity)`);
	}
	// Beyond 2^53 an integer-valued number is a double anyway; it reads back as the same number.
	return `<value><double>${n}</double></value>`;
}

function encodeValue(value: unknown, depth: number): string {
	switch (typeof value) {
		case 'string':
			return value.length === 0 ? '<value><string/></value>' : `<value><string>${text(value)}</string></value>`;
		case 'number':
			return encodeNumber(value);
		case 'boolean':
			return value ? '<value><boolean>1</boolean></value>' : '<value><boolean>0</boolean></value>';
		case 'bigint':
			if (value < I8_MIN || value > I8_MAX) {
				throw new EncodeError(`a bigint outside the 64-bit range of i8 (${value})`);
			}
			return `<value><i8>${value}</i8></value>`;
		case 'undefined':
			throw new EncodeError('undefined');
		case 'object':
			break;
		default:
			throw new EncodeError(`a ${typeof value}`);
	}
	if (value === null) {
		return '<value><nil/></value>';
	}
	if (value instanceof Uint8Array) {
		const buffer = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
		return buffer.length === 0 ? '<value><base64/></value>' : `<value><base64>${buffer.toString('base64')}</base64></value>`;
	}
	if (value instanceof Date) {
		return `<value><dateTime.iso8601>${formatDate(value)}</dateTime.iso8601></value>`;
	}
	// The reader's bound (a cycle ends here too); it also bounds this recursion.
	if (depth >= MAX_NESTING) {
		throw new EncodeError(`nesting deeper than ${MAX_NESTING} levels (a cycle?)`);
	}
	if (Array.isArray(value)) {
		if (value.length === 0) {
			return '<value><array><data/></array></value>';
		}
		let out = '<value><array><data>';
		// An index loop, not forEach/for-of: holes must be seen (as undefined).
		for (let i = 0; i < value.length; i++) {
			try {
				out += encodeValue(value[i], depth + 1);
			} catch (error) {
				throw addStep(error, i);
			}
		}
		return `${out}</data></array></value>`;
	}
	const proto: unknown = Object.getPrototypeOf(value);
	if (proto !== Object.prototype && proto !== null) {
		throw new EncodeError(`an instance of ${(value as object).constructor?.name ?? 'a class'} (only plain objects are structs)`);
	}
	const keys = Object.keys(value);
	if (keys.length === 0) {
		return '<value><struct/></value>';
	}
	let out = '<value><struct>';
	for (const key of keys) {
		try {
			out += `<member>${key.length === 0 ? '<name/>' : `<name>${text(key)}</name>`}${encodeValue((value as Record<string, unknown>)[key], depth + 1)}</member>`;
		} catch (error) {
			throw addStep(error, key);
		}
	}
	return `${out}</struct></value>`;
}

function addStep(error: unknown, step: string | number): unknown {
	if (error instanceof EncodeError) {
		error.path.unshift(step);
	}
	return error;
}

/** Encodes one value; an unencodable one becomes a TypeError naming where it is. */
function encodeAt(value: unknown, root: string): string {
	try {
		return encodeValue(value, 0);
	} catch (error) {
		if (error instanceof EncodeError) {
			throw new TypeError(`XML-RPC cannot encode ${error.message} at ${formatPath(root, error.path)}`);
		}
		throw error;
	}
}

const HEAD = '<?xml version="1.0"?>';

/**
 * A `methodCall` document as text. Throws a TypeError for a value XML-RPC cannot carry. The
 * `…Xml` forms let the wire writer encode the body straight into its frame (one buffer per
 * message, not a body buffer copied into a frame buffer).
 */
export function callXml(method: string, params: readonly XmlRpcValue[]): string {
	if (method.length === 0) {
		throw new TypeError('XML-RPC cannot encode a call without a method name');
	}
	let out = `${HEAD}<methodCall><methodName>${text(method)}</methodName>`;
	if (params.length === 0) {
		out += '<params/>';
	} else {
		out += '<params>';
		for (let i = 0; i < params.length; i++) {
			out += `<param>${encodeAt(params[i], `params[${i}]`)}</param>`;
		}
		out += '</params>';
	}
	return `${out}</methodCall>`;
}

/** A `methodResponse` document carrying one value, as text. */
export function responseXml(value: XmlRpcValue): string {
	return `${HEAD}<methodResponse><params><param>${encodeAt(value, 'value')}</param></params></methodResponse>`;
}

/** A `methodResponse` fault (the `{faultCode, faultString}` struct of the spec), as text. */
export function faultXml(fault: Fault): string {
	if (!Number.isInteger(fault.code) || fault.code < I4_MIN || fault.code > I4_MAX) {
		throw new TypeError(`XML-RPC fault codes are i4 integers, not ${fault.code}`);
	}
	const message = fault.message.length === 0 ? '<string/>' : `<string>${text(fault.message)}</string>`;
	return `${HEAD}<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>${fault.code}</int></value></member><member><name>faultString</name><value>${message}</value></member></struct></value></fault></methodResponse>`;
}

/** A `methodCall` document. Throws a TypeError for a value XML-RPC cannot carry. */
export function encodeCall(method: string, params: readonly XmlRpcValue[]): Buffer {
	return Buffer.from(callXml(method, params), 'utf8');
}

/** A `methodResponse` document carrying one value. */
export function encodeResponse(value: XmlRpcValue): Buffer {
	return Buffer.from(responseXml(value), 'utf8');
}

/** A `methodResponse` fault: the `{faultCode, faultString}` struct of the spec. */
export function encodeFault(fault: Fault): Buffer {
	return Buffer.from(faultXml(fault), 'utf8');
}

// ---------------------------------------------------------------------------------------------
// Decoding (the reading itself is in xmlrpc-reader.ts)

function codecError(reason: string): CodecError {
	return new CodecError(`Malformed XML-RPC body: ${reason}`);
}

/** Decodes a `methodCall`; a malformed body throws CodecError (fault -503). Synchronous: it is on every call's path. */
export function decodeCall(body: Buffer): DecodedCall {
	const short = shortCall(body);
	if (short !== undefined) {
		return short;
	}

	const outcome = readXmlRpc(body);
	if (outcome.root !== 'METHODCALL') {
		throw codecError('Not a method call');
	}

	if (outcome.part === 'fault') {
		throw codecError('A fault is not a call');
	}

	if (!outcome.method) {
		throw codecError('Method call did not contain a method name');
	}

	return {method: outcome.method, params: outcome.values as XmlRpcValue[]};
}

/**
 * Decodes a `methodResponse`: `{ok: true, value}`, or `{ok: false, fault}` for a well-formed
 * fault; a malformed body (or fault) throws CodecError (fault -503).
 */
export function decodeResponse(body: Buffer): DecodedResponse {
	const short = shortStringResponse(body);
	if (short !== undefined) {
		return short;
	}

	const outcome = readXmlRpc(body);
	if (outcome.root !== 'METHODRESPONSE') {
		throw codecError('Not a method response');
	}

	if (outcome.part === undefined) {
		throw codecError('Invalid method response');
	}

	if (outcome.values.length !== 1) {
		throw codecError(outcome.part === 'fault' ? 'A fault must carry exactly one value' : 'A method response must carry exactly one value');
	}

	const value = outcome.values[0];
	if (outcome.part === 'params') {
		return {ok: true, value: value as XmlRpcValue};
	}

	const fault = value as {readonly faultCode?: unknown; readonly faultString?: unknown} | null;
	const code = typeof fault === 'object' && fault !== null ? fault.faultCode : undefined;
	const message = typeof fault === 'object' && fault !== null ? (fault.faultString ?? '') : undefined;
	// An i4 code, as encodeFault writes: a fault we accept can always be passed on.
	if (typeof code !== 'number' || !Number.isInteger(code) || code < I4_MIN || code > I4_MAX || typeof message !== 'string') {
		throw codecError('A fault must be a struct with an i4 faultCode and a string faultString');
	}

	return {ok: false, fault: {code, message}};
}
