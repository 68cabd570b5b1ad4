/**
 * Reading XML-RPC bodies (PROTOCOL.md §3): XML events in, values out.
 *
 * The plain documents peers send are scanned by xml-scan.ts (about 10x cheaper than sax); whatever
 * it declines, and any document on which building failed during the scan, is parsed again by sax
 * in strict mode on fresh state, so the outcome is sax's either way. sax runs with strict
 * entities: only the five XML entities and character references exist, so entity expansion and
 * external entities (XXE) are refused as unknown entities.
 *
 * The builder keeps values on one flat stack (no recursion anywhere), with a mark where each
 * array or struct starts, and refuses nesting deeper than MAX_NESTING containers (fault -501,
 * PROTOCOL.md §7). It reads what the xmlrpc package's deserializer reads (the reference in
 * test/protocol/codec.test.ts), with these differences:
 * - structs are built on null-prototype objects (`__proto__` is a normal key);
 * - int/i4/i8 are parsed strictly, to a number when safe, else a bigint (the library gives a
 *   string for i8 and parseInt()s the rest: "12abc" was 12);
 * - doubles are parsed strictly and must be finite;
 * - dates without an offset are UTC (the library reads them in the host's local zone);
 * - an element inside a scalar, or methodCall/methodResponse below the root, is an error.
 */
import {isAscii} from 'node:buffer';
import sax from 'sax';
import {CodecError, FaultCode, MAX_NESTING} from './value.js';
import {scanXml, type XmlEvents} from './xml-scan.js';

const I8_MIN = -(2n ** 63n);
const I8_MAX = 2n ** 63n - 1n;

// Every pattern below is linear: no two quantifiers can share a character.
const INTEGER = /^[+-]?\d+$/;
const DOUBLE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE_TIME = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:[.,](\d+))?(?:Z|([+-])(\d{2})(?::?(\d{2}))?)?$/i;

/** int, i4 and i8 alike: a number when safe, else a bigint; outside 64 bits is an error. */
export function parseInteger(data: string): number | bigint {
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

export function parseDouble(data: string): number {
	const s = data.trim();
	const n = DOUBLE.test(s) ? Number(s) : Number.NaN;
	if (!Number.isFinite(n)) {
		throw new Error(`Expected a finite double but got '${s.slice(0, 40)}'`);
	}

	return n;
}

/** ISO 8601 basic or extended; without an offset the time is UTC (PROTOCOL.md §3). */
export function parseDateTime(data: string): Date {
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
		throw new Error(`Invalid dateTime '${s.slice(0, 40)}'`);
	}

	if (m[8] !== undefined) {
		const offset = (Number(m[9]) * 60 + Number(m[10] ?? 0)) * (m[8] === '-' ? -1 : 1);
		date.setTime(date.getTime() - offset * 60_000);
	}

	// An offset can carry 0000-01-01 or 9999-12-31 out of the years the encoder writes; what we
	// accept must be writable back.
	if (date.getUTCFullYear() < 0 || date.getUTCFullYear() > 9999) {
		throw new Error(`dateTime '${s.slice(0, 40)}' is outside years 0000-9999 in UTC`);
	}

	return date;
}

/** Elements whose content is text only. */
const scalarTags = new Set(['BOOLEAN', 'INT', 'I4', 'I8', 'DOUBLE', 'STRING', 'NAME', 'BASE64', 'DATETIME.ISO8601', 'NIL', 'METHODNAME']);
const structureTags = new Set(['VALUE', 'ARRAY', 'DATA', 'STRUCT', 'MEMBER', 'PARAM', 'PARAMS', 'FAULT', 'METHODCALL', 'METHODRESPONSE']);
/**
 * The usual spellings (`methodCall`, `i4`, `dateTime.iso8601`, …) to the upper-case names above:
 * a lookup instead of a new upper-cased string per element, and the switch below then compares
 * constants. Any other spelling is upper-cased as before (names are case-blind here).
 */
const upperCased = new Map<string, string>(
	['methodCall', 'methodResponse', 'methodName', 'params', 'param', 'fault', 'value', 'array', 'data', 'struct', 'member', 'name']
		.concat(['string', 'int', 'i4', 'i8', 'boolean', 'double', 'base64', 'dateTime.iso8601', 'nil'])
		// The set's own string, so that the switch compares the very constants it names.
		.map(name => [name, [...scalarTags, ...structureTags].find(tag => tag === name.toUpperCase())!]),
);

function upperCase(name: string): string {
	return upperCased.get(name) ?? name.toUpperCase();
}

/** Root, params, param, then value/array/data (or value/struct/member) per level, then a scalar. */
const ELEMENT_DEPTH_MAX = 4 + 3 * (MAX_NESTING + 1);

function nestingError(): CodecError {
	return new CodecError(`Malformed XML-RPC body: nesting deeper than ${MAX_NESTING} levels`, {faultCode: FaultCode.typeError});
}

/** What a body says, before the call/response checks of the codec. */
export type Outcome = {
	readonly root: 'METHODCALL' | 'METHODRESPONSE';
	readonly method: string | undefined;
	/** `<params>` or `<fault>`, whichever closed last; undefined when neither appeared. */
	readonly part: 'params' | 'fault' | undefined;
	readonly values: readonly unknown[];
};

/** Turns the XML events of one document into values; throws on anything that is not XML-RPC. */
class ValueBuilder implements XmlEvents {
	readonly #values: unknown[] = [];
	/** Where each open array/struct starts in #values. */
	readonly #marks: number[] = [];
	#depth = 0;
	#text = '';
	#inScalar = false;
	/** A `<value>` with no type element so far: its text is a string. */
	#bareValue = false;
	#root: Outcome['root'] | undefined;
	#method: string | undefined;
	#part: Outcome['part'];

	open(name: string): void {
		const tag = upperCase(name);
		if (!scalarTags.has(tag) && !structureTags.has(tag)) {
			throw new Error(`Unknown XML-RPC tag '${name.slice(0, 40)}'`);
		}

		if (this.#inScalar) {
			throw new Error(`<${name}> inside a scalar`);
		}

		const isRoot = tag === 'METHODCALL' || tag === 'METHODRESPONSE';
		if (isRoot !== (this.#depth === 0)) {
			throw new Error(isRoot ? `<${name}> below the root` : `<${name}> is not an XML-RPC root`);
		}

		if (++this.#depth > ELEMENT_DEPTH_MAX) {
			throw nestingError();
		}

		if (tag === 'ARRAY' || tag === 'STRUCT') {
			if (this.#marks.length >= MAX_NESTING) {
				throw nestingError();
			}

			this.#marks.push(this.#values.length);
		}

		this.#inScalar = scalarTags.has(tag);
		this.#bareValue = tag === 'VALUE';
		this.#text = '';
	}

	text(text: string): void {
		this.#text += text;
	}

	close(name: string): void {
		const text = this.#text;
		const bareValue = this.#bareValue;
		this.#text = '';
		this.#inScalar = false;
		this.#bareValue = false;
		this.#depth--;
		const values = this.#values;
		const tag = upperCase(name);
		switch (tag) {
			case 'BOOLEAN':
				if (text !== '0' && text !== '1') {
					throw new Error(`Illegal boolean value '${text.slice(0, 40)}'`);
				}

				values.push(text === '1');
				break;
			case 'INT':
			case 'I4':
			case 'I8':
				values.push(parseInteger(text));
				break;
			case 'DOUBLE':
				values.push(parseDouble(text));
				break;
			case 'STRING':
			case 'NAME':
				values.push(text);
				break;
			case 'BASE64':
				values.push(Buffer.from(text, 'base64'));
				break;
			case 'DATETIME.ISO8601':
				values.push(parseDateTime(text));
				break;
			case 'NIL':
				values.push(null);
				break;
			case 'VALUE':
				if (bareValue) {
					values.push(text);
				}

				break;
			case 'ARRAY':
				values.push(values.splice(this.#marks.pop()!));
				break;
			case 'STRUCT':
				values.push(toStruct(values.splice(this.#marks.pop()!)));
				break;
			case 'METHODNAME':
				this.#method = text;
				break;
			case 'PARAMS':
				this.#part = 'params';
				break;
			case 'FAULT':
				this.#part = 'fault';
				break;
			case 'METHODCALL':
			case 'METHODRESPONSE':
				this.#root = tag as Outcome['root'];
				break;
			default: // DATA, PARAM, MEMBER: structure only
		}
	}

	finish(): Outcome {
		// No open array/struct can be left here: sax (strict) and the scanner only finish balanced documents.
		if (this.#root === undefined) {
			throw new Error('Invalid XML-RPC message');
		}

		return {root: this.#root, method: this.#method, part: this.#part, values: this.#values};
	}
}

/** `name, value, name, value…` from a struct's members. */
function toStruct(items: readonly unknown[]): Record<string, unknown> {
	if (items.length % 2 !== 0) {
		throw new Error('Struct member without a name or a value');
	}

	const struct: Record<string, unknown> = Object.create(null);
	for (let i = 0; i < items.length; i += 2) {
		const key = items[i];
		if (typeof key !== 'string') {
			throw new Error('Struct member without a name');
		}

		struct[key] = items[i + 1];
	}

	return struct;
}

function readWithSax(xml: string): Outcome {
	const builder = new ValueBuilder();
	// Strict: a body that is not well-formed XML is a parse error, not a guess. Tag names keep
	// their case (the builder is case-blind). Any error, sax's or the builder's, ends the parse.
	const options: sax.SAXOptions & {readonly strictEntities: boolean} = {position: false, strictEntities: true};
	const parser = sax.parser(true, options);
	parser.onopentag = tag => {
		builder.open(tag.name);
	};

	parser.onclosetag = name => {
		builder.close(name);
	};

	parser.ontext = text => {
		builder.text(text);
	};

	parser.oncdata = parser.ontext;
	parser.onerror = error => {
		throw error;
	};

	parser.write(xml).close();
	return builder.finish();
}

/**
 * The values of one body; throws CodecError (-503, or -501 for too deep a nesting). Synchronous:
 * it is on every call's path.
 */
export function readXmlRpc(body: Buffer): Outcome {
	// An all-ASCII body (every file chunk's base64 is) is the same text read as latin1: a copy,
	// about half the time of decoding 1.4 MB as UTF-8. The test itself is vectorized and cheap.
	const xml = isAscii(body) ? body.toString('latin1') : body.toString('utf8');
	try {
		const builder = new ValueBuilder();
		if (scanXml(xml, builder)) {
			return builder.finish();
		}
	} catch {
		// The scanner's events are sax's, but let sax (on fresh state) have the last word.
	}

	try {
		return readWithSax(xml);
	} catch (error) {
		if (error instanceof CodecError) {
			throw error;
		}

		const reason = error instanceof Error ? error.message : String(error);
		// sax reports `Line:`/`Column:` on lines of their own: an error is one line (PROTOCOL.md §7).
		throw new CodecError(`Malformed XML-RPC body: ${reason.slice(0, 200).replace(/\s+/g, ' ')}`, {cause: error});
	}
}
