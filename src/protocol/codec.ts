/**
 * The XML-RPC codec of PROTOCOL.md §3 (see TOOLING.md "xmlrpc").
 *
 * Encoding is hand-written: every value needs a pass anyway (sanitizing strings, refusing
 * `undefined`, choosing int/i8/double, writing dates as UTC), and the library's serializer
 * (xmlbuilder) throws on control characters, writes big integers as `<int>`, drops bigint and
 * writes dates in local time. The output matches the library's byte for byte wherever the library
 * is right (checked in test/protocol/codec.test.ts) and is read back by Python's xmlrpc.client.
 *
 * Decoding uses the library's Deserializer (its handlers and result checks), with these fixes:
 * - it is driven synchronously by a plain strict sax parser: the library's own SAX stream costs
 *   more than the parse of a small message, and a throw inside it (e.g. `&#xFFFFFFFF;`) would
 *   escape as an uncaught exception from a stream callback;
 * - structs are built on null-prototype objects (`__proto__` is a normal key);
 * - int/i4/i8 are parsed strictly, to a number when safe, else a bigint (the library gives a
 *   string for i8 and parseInt()s the rest: "12abc" was 12);
 * - doubles are parsed strictly and must be finite;
 * - dates without an offset are UTC (the library reads them in the host's local zone).
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
import {createRequire} from 'node:module';
import Deserializer from 'xmlrpc/lib/deserializer.js';
import {CodecError, type DecodedCall, type DecodedResponse, type Fault, type XmlRpcValue} from './value.js';
import {scanXml, type XmlEvents} from './xml-scan.js';

// sax is the library's own dependency (not ours): resolve it from the library's file so that we
// parse with exactly the version it was written against.
type SaxTag = {readonly name: string};
type SaxParser = {
	onopentag: (tag: SaxTag) => void;
	onclosetag: (name: string) => void;
	ontext: (text: string) => void;
	oncdata: (text: string) => void;
	onend: () => void;
	onerror: (error: Error) => void;
	error: Error | null;
	write(chunk: string): SaxParser;
	close(): SaxParser;
};
type Sax = {parser(strict: boolean, options: {readonly position?: boolean; readonly strictEntities?: boolean}): SaxParser};
const requireFromLibrary = createRequire(createRequire(import.meta.url).resolve('xmlrpc/lib/deserializer.js'));
const sax = requireFromLibrary('sax') as Sax;

const I4_MIN = -0x8000_0000;
const I4_MAX = 0x7fff_ffff;
const I8_MIN = -(2n ** 63n);
const I8_MAX = 2n ** 63n - 1n;
/** Deeper than this is a cycle or a mistake; it also bounds the encoder's recursion. */
const MAX_DEPTH = 512;

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

/** Sanitized and escaped element text. CR is escaped so that XML parsers do not turn it into LF. */
function text(s: string): string {
	if (!SPECIAL.test(s)) {
		return s;
	}
	return sanitizeXmlString(s).replace(ESCAPED, (c) => ESCAPES[c]!);
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
	if (depth >= MAX_DEPTH) {
		throw new EncodeError(`nesting deeper than ${MAX_DEPTH} (a cycle?)`);
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

/** A `methodCall` document. Throws a TypeError for a value XML-RPC cannot carry. */
export function encodeCall(method: string, params: readonly XmlRpcValue[]): Buffer {
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
	return Buffer.from(`${out}</methodCall>`, 'utf8');
}

/** A `methodResponse` document carrying one value. */
export function encodeResponse(value: XmlRpcValue): Buffer {
	return Buffer.from(`${HEAD}<methodResponse><params><param>${encodeAt(value, 'value')}</param></params></methodResponse>`, 'utf8');
}

/** A `methodResponse` fault: the `{faultCode, faultString}` struct of the spec. */
export function encodeFault(fault: Fault): Buffer {
	if (!Number.isInteger(fault.code) || fault.code < I4_MIN || fault.code > I4_MAX) {
		throw new TypeError(`XML-RPC fault codes are i4 integers, not ${fault.code}`);
	}
	const message = fault.message.length === 0 ? '<string/>' : `<string>${text(fault.message)}</string>`;
	return Buffer.from(
		`${HEAD}<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>${fault.code}</int></value></member><member><name>faultString</name><value>${message}</value></member></struct></value></fault></methodResponse>`,
		'utf8',
	);
}

// ---------------------------------------------------------------------------------------------
// Decoding

const INTEGER = /^[+-]?\d+$/;
const DOUBLE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE_TIME = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:[.,](\d+))?(?:Z|([+-])(\d{2})(?::?(\d{2}))?)?$/i;

/** int, i4 and i8 alike: a number when safe, else a bigint; outside 64 bits is an error. */
function parseInteger(data: string): number | bigint {
	const s = data.trim();
	if (!INTEGER.test(s)) {
		throw new Error(`Expected an integer but got '${s.slice(0, 40)}'`);
	}
	if (s.length <= 16) {
		const n = Number(s);
		if (Number.isSafeInteger(n)) {
			return n + 0; // no -0
		}
	}
	const big = s.length <= 25 ? BigInt(s) : undefined; // 25: signs and zeros; also bounds BigInt()'s work
	if (big === undefined || big < I8_MIN || big > I8_MAX) {
		throw new Error(`Integer '${s.slice(0, 40)}' is outside the 64-bit range`);
	}
	const n = Number(big);
	return Number.isSafeInteger(n) ? n : big;
}

function parseDouble(data: string): number {
	const s = data.trim();
	const n = DOUBLE.test(s) ? Number(s) : Number.NaN;
	if (!Number.isFinite(n)) {
		throw new Error(`Expected a finite double but got '${s.slice(0, 40)}'`);
	}
	return n;
}

/** ISO 8601 basic or extended; without an offset the time is UTC (PROTOCOL.md §3). */
function parseDateTime(data: string): Date {
	const s = data.trim();
	const m = DATE_TIME.exec(s);
	if (m === null) {
		throw new Error(`Expected an ISO 8601 dateTime but got '${s.slice(0, 40)}'`);
	}
	const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
	const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
	const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
	date.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
	if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
		throw new Error(`Invalid dateTime '${s}'`);
	}
	if (m[8] !== undefined) {
		const offset = (Number(m[9]) * 60 + Number(m[10] ?? 0)) * (m[8] === '-' ? -1 : 1);
		date.setTime(date.getTime() - offset * 60_000);
	}
	return date;
}

/** The library's Deserializer with the fixes listed at the top; instances skip its constructor. */
const FixedDeserializer: Deserializer = Object.create(Deserializer.prototype);

FixedDeserializer.endStruct = function (this: Deserializer) {
	const mark = this.marks.pop()!;
	const stack = this.stack;
	if ((stack.length - mark) % 2 !== 0) {
		throw new Error('Struct member without a name or a value');
	}
	const struct: Record<string, unknown> = Object.create(null);
	for (let i = mark; i < stack.length; i += 2) {
		const key = stack[i];
		if (typeof key !== 'string') {
			throw new Error('Struct member without a name');
		}
		struct[key] = stack[i + 1];
	}
	stack.length = mark;
	stack.push(struct);
	this.value = false;
};
FixedDeserializer.endInt = function (this: Deserializer, data: string) {
	this.push(parseInteger(data));
	this.value = false;
};
FixedDeserializer.endI8 = FixedDeserializer.endInt;
FixedDeserializer.endDouble = function (this: Deserializer, data: string) {
	this.push(parseDouble(data));
	this.value = false;
};
FixedDeserializer.endDateTime = function (this: Deserializer, data: string) {
	this.push(parseDateTime(data));
	this.value = false;
};

type Outcome =
	| {readonly kind: 'error'; readonly error: unknown}
	| {readonly kind: 'fault'; readonly fault: unknown}
	| {readonly kind: 'values'; readonly method: string | undefined; readonly values: readonly unknown[]};

/** Runs the body through a fresh Deserializer, synchronously; never throws. */
function deserialize(body: Buffer, kind: 'call' | 'response'): Outcome {
	const xml = body.toString('utf8');
	// The plain documents peers send go through the scanner (xml-scan.ts, about 10x cheaper);
	// whatever it declines goes through sax on fresh state, so the outcome is sax's either way.
	return runDeserializer(xml, kind, 'scan') ?? runDeserializer(xml, kind, 'sax')!;
}

/** One pass of the library's Deserializer over `xml`; undefined when the scanner declined. */
function runDeserializer(xml: string, kind: 'call' | 'response', reader: 'scan' | 'sax'): Outcome | undefined {
	const d: Deserializer = Object.create(FixedDeserializer);
	// The state its constructor would set (minus the SAX stream).
	d.type = null;
	d.responseType = null;
	d.stack = [];
	d.marks = [];
	d.data = [];
	d.methodname = null;
	d.encoding = 'utf8';
	d.value = false;
	d.callback = null;
	d.error = null;

	let scanned = false;
	if (reader === 'scan') {
		const events: XmlEvents = {
			open: (name) => d.onOpentag({name: name.toUpperCase()}),
			close: (name) => d.onClosetag(name.toUpperCase()),
			text: (t) => d.onText(t),
		};
		d.parser = {
			write: (chunk) => {
				scanned = scanXml(chunk, events);
			},
			end: () => {
				if (scanned) {
					d.onDone();
				}
			},
		};
	} else {
		// Strict: a body that is not well-formed XML is a parse error, not a guess. The library's
		// handlers expect upper-case names (sax's non-strict mode), so tag names stay case-blind.
		const parser = sax.parser(true, {position: false, strictEntities: true});
		parser.onopentag = (tag) => d.onOpentag({name: tag.name.toUpperCase()});
		parser.onclosetag = (name) => d.onClosetag(name.toUpperCase());
		parser.ontext = (t) => d.onText(t);
		parser.oncdata = (t) => d.onCDATA(t);
		parser.onend = () => d.onDone();
		parser.onerror = (error) => {
			d.onError(error);
			parser.error = null; // as the library's SAX stream does; d.error already stops everything
		};
		d.parser = {write: (chunk) => parser.write(chunk), end: () => parser.close()};
	}
	// The library pipes a Readable into d.parser; this one hands over the whole body at once.
	const source = {
		setEncoding: () => source,
		on: () => source,
		pipe: (sink: {write(chunk: string): unknown; end(): unknown}) => {
			sink.write(xml);
			sink.end();
			return sink;
		},
	};

	let outcome: Outcome | undefined;
	try {
		if (kind === 'call') {
			d.deserializeMethodCall(source, (error, method, params) => {
				outcome ??= error ? {kind: 'error', error} : {kind: 'values', method, values: params ?? []};
			});
		} else {
			d.deserializeMethodResponse(source, (error, value) => {
				if (outcome !== undefined) {
					return;
				}
				if (error && Object.hasOwn(error, 'faultCode') && d.type === 'methodresponse' && d.stack.length === 1) {
					outcome = {kind: 'fault', fault: d.stack[0]};
				} else {
					outcome = error ? {kind: 'error', error} : {kind: 'values', method: undefined, values: d.stack.length === 1 ? [value] : []};
				}
			});
		}
	} catch (error) {
		// A throw inside sax or the library's onDone (e.g. a fault with no value).
		outcome ??= {kind: 'error', error};
	}
	if (reader === 'scan' && !scanned) {
		return undefined; // Declined (or stopped before the end): sax decides.
	}
	return outcome ?? {kind: 'error', error: new Error('No result')};
}

function codecError(cause: unknown): CodecError {
	const reason = cause instanceof Error ? cause.message : String(cause);
	return new CodecError(`Malformed XML-RPC body: ${reason}`, {cause});
}

/** Decodes a `methodCall`; a malformed body throws CodecError (fault -503). Synchronous: it is on every call's path. */
export function decodeCall(body: Buffer): DecodedCall {
	const outcome = deserialize(body, 'call');
	if (outcome.kind !== 'values') {
		throw codecError(outcome.kind === 'error' ? outcome.error : new Error('A fault is not a call'));
	}
	if (outcome.method === undefined) {
		throw codecError(new Error('Method call did not contain a method name'));
	}
	return {method: outcome.method, params: outcome.values as XmlRpcValue[]};
}

/**
 * Decodes a `methodResponse`: `{ok: true, value}`, or `{ok: false, fault}` for a well-formed
 * fault; a malformed body (or fault) throws CodecError (fault -503).
 */
export function decodeResponse(body: Buffer): DecodedResponse {
	const outcome = deserialize(body, 'response');
	if (outcome.kind === 'error') {
		throw codecError(outcome.error);
	}
	if (outcome.kind === 'fault') {
		const fault = outcome.fault as {readonly faultCode?: unknown; readonly faultString?: unknown} | null;
		const code = typeof fault === 'object' && fault !== null ? fault.faultCode : undefined;
		const message = typeof fault === 'object' && fault !== null ? (fault.faultString ?? '') : undefined;
		if (typeof code !== 'number' || typeof message !== 'string') {
			throw codecError(new Error('A fault must be a struct with an integer faultCode and a string faultString'));
		}
		return {ok: false, fault: {code, message}};
	}
	if (outcome.values.length !== 1) {
		throw codecError(new Error('A method response must carry exactly one value'));
	}
	return {ok: true, value: outcome.values[0] as XmlRpcValue};
}
