import {Readable} from 'node:stream';
import fc from 'fast-check';
import {afterEach, describe, expect, it} from 'vitest';
import CustomType from 'xmlrpc/lib/customtype.js';
import dateFormatter from 'xmlrpc/lib/date_formatter.js';
import Deserializer from 'xmlrpc/lib/deserializer.js';
import * as serializer from 'xmlrpc/lib/serializer.js';
import {decodeCall, decodeResponse, encodeCall, encodeFault, encodeResponse, sanitizeXmlString} from '../../src/protocol/codec.js';
import {CodecError, FaultCode, type XmlRpcValue} from '../../src/protocol/value.js';

async function roundTrip(value: XmlRpcValue): Promise<XmlRpcValue> {
	const decoded = await decodeResponse(encodeResponse(value));
	if (!decoded.ok) {
		throw new Error(`unexpected fault ${decoded.fault.message}`);
	}
	return decoded.value;
}

const responseXml = (inner: string) =>
	Buffer.from(`<?xml version="1.0"?><methodResponse><params><param><value>${inner}</value></param></params></methodResponse>`);

async function decodeInner(inner: string): Promise<XmlRpcValue> {
	const decoded = await decodeResponse(responseXml(inner));
	if (!decoded.ok) {
		throw new Error('unexpected fault');
	}
	return decoded.value;
}

/** A struct as the decoder builds it: on a null prototype. */
function nullProto(entries: Record<string, XmlRpcValue>): XmlRpcValue {
	return Object.assign(Object.create(null) as Record<string, XmlRpcValue>, entries);
}

describe('round trips (PROTOCOL.md §3 types)', () => {
	it.each([
		['ascii', 'hello'],
		['empty', ''],
		['non-ASCII', 'héllo wörld ✓ 日本語 😀'],
		['markup characters', 'a<b&c>d]]>e &amp; <![CDATA[x]]>'],
		['TAB, LF and CR', 'tab\tlf\ncr\rcrlf\r\n'],
		['whitespace only', '  \n '],
	])('string: %s', async (_name, s) => {
		expect(await roundTrip(s)).toBe(s);
	});

	it('int, with the i4 boundaries as <int>', async () => {
		for (const n of [0, 1, -1, 42, 0x7fff_ffff, -0x8000_0000]) {
			expect(encodeResponse(n).toString()).toContain(`<int>${n}</int>`);
			expect(await roundTrip(n)).toBe(n);
		}
	});

	it('i8: integers just outside i4 and up to 2^53 are <i8> numbers', async () => {
		for (const n of [0x8000_0000, -0x8000_0001, 2 ** 40, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
			expect(encodeResponse(n).toString()).toContain(`<i8>${n}</i8>`);
			expect(await roundTrip(n)).toBe(n);
		}
	});

	it('i8: bigints are <i8>; beyond 2^53 they come back as bigint, within it as number', async () => {
		for (const n of [2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 60n) - 7n]) {
			expect(encodeResponse(n).toString()).toContain(`<i8>${n}</i8>`);
			expect(await roundTrip(n)).toBe(n);
		}
		expect(encodeResponse(5n).toString()).toContain('<i8>5</i8>');
		expect(await roundTrip(5n)).toBe(5);
	});

	it('i8: a bigint outside 64 bits is a TypeError', () => {
		expect(() => encodeResponse(2n ** 63n)).toThrow(TypeError);
		expect(() => encodeResponse(-(2n ** 63n) - 1n)).toThrow(/64-bit/);
	});

	it('boolean', async () => {
		expect(await roundTrip(true)).toBe(true);
		expect(await roundTrip(false)).toBe(false);
	});

	it('double', async () => {
		for (const n of [1.5, -0.25, 1e-7, 3.141592653589793, Number.MAX_VALUE, Number.MIN_VALUE, -1.5e300]) {
			expect(encodeResponse(n).toString()).toContain('<double>');
			expect(await roundTrip(n)).toBe(n);
		}
	});

	it('an integer-valued number beyond 2^53 is a <double> and reads back as the same number', async () => {
		for (const n of [2 ** 60, -(2 ** 70), 1e21, Number.MAX_VALUE]) {
			expect(encodeResponse(n).toString()).toContain('<double>');
			expect(await roundTrip(n)).toBe(n);
		}
	});

	it('NaN and ±Infinity are a TypeError (XML-RPC has no representation)', () => {
		for (const n of [Number.NaN, Infinity, -Infinity]) {
			expect(() => encodeResponse(n)).toThrow(TypeError);
			expect(() => encodeCall('m', [[n]])).toThrow(/params\[0\]\[0\]/);
		}
	});

	it('base64: empty, every byte value, a Uint8Array', async () => {
		expect(await roundTrip(Buffer.alloc(0))).toEqual(Buffer.alloc(0));
		const all = Buffer.from(Array.from({length: 512}, (_, i) => i % 256));
		const back = await roundTrip(all);
		expect(Buffer.isBuffer(back)).toBe(true);
		expect(back).toEqual(all);
		const view = new Uint8Array([0, 1, 2, 254, 255]).subarray(1, 4);
		expect(await roundTrip(view as Buffer)).toEqual(Buffer.from([1, 2, 254]));
	});

	it('base64 with line breaks (as Python writes it) decodes', async () => {
		expect(await decodeInner('<base64>\nAP8A/wD/\nAP8=\n</base64>')).toEqual(Buffer.from([0, 255, 0, 255, 0, 255, 0, 255]));
	});

	it('dateTime.iso8601: UTC, seconds resolution', async () => {
		const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
		const xml = encodeResponse(date).toString();
		expect(xml).toContain('<dateTime.iso8601>20240102T03:04:05</dateTime.iso8601>');
		expect(await roundTrip(date)).toEqual(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)));
		for (const d of [
			new Date(0),
			new Date(Date.UTC(1999, 11, 31, 23, 59, 59)),
			new Date(Date.UTC(9999, 11, 31, 23, 59, 59)),
			new Date('0099-03-04T05:06:07Z'),
		]) {
			expect(await roundTrip(d)).toEqual(d);
		}
		expect(encodeResponse(new Date('0099-03-04T05:06:07Z')).toString()).toContain('00990304T05:06:07');
	});

	it('an invalid Date or one outside years 0-9999 is a TypeError', () => {
		expect(() => encodeResponse(new Date(Number.NaN))).toThrow(/invalid Date/);
		expect(() => encodeResponse(new Date(Date.UTC(10000, 0, 1)))).toThrow(TypeError);
	});

	it('nil', async () => {
		expect(encodeResponse(null).toString()).toContain('<nil/>');
		expect(await roundTrip(null)).toBeNull();
	});

	it('nested arrays and structs, empty ones too', async () => {
		const value: XmlRpcValue = [
			[],
			{},
			[1, ['two', [3.5, null, [true]]]],
			{a: {b: {c: [1, {d: 'deep'}]}}, 'key with spaces & <markup>': 1, '': 'empty key', '1': 'numeric key'},
		];
		const back = await roundTrip(value);
		expect(back).toEqual(value);
		// Structs, nested ones too, are null-prototype objects.
		const outer = (back as XmlRpcValue[])[3] as Record<string, XmlRpcValue>;
		expect(Object.getPrototypeOf(outer)).toBeNull();
		expect(Object.getPrototypeOf(outer.a)).toBeNull();
		expect(Object.getPrototypeOf(((outer.a as Record<string, XmlRpcValue>).b as Record<string, XmlRpcValue[]>).c![1])).toBeNull();
		expect(Object.getPrototypeOf((back as XmlRpcValue[])[1])).toBeNull();
	});

	it('a struct member named __proto__ survives as a normal key; nothing is polluted', async () => {
		const value = JSON.parse('{"__proto__": {"polluted": true}, "inner": {"__proto__": 1, "constructor": "c"}}') as XmlRpcValue;
		expect(encodeResponse(value).toString()).toContain('<name>__proto__</name>');
		const back = (await roundTrip(value)) as Record<string, XmlRpcValue>;
		expect(Object.keys(back)).toEqual(['__proto__', 'inner']);
		expect(Object.getPrototypeOf(back)).toBeNull();
		expect(Object.hasOwn(back, '__proto__')).toBe(true);
		expect(back['__proto__']).toEqual(nullProto({polluted: true}));
		expect(back.inner).toEqual(nullProto(JSON.parse('{"__proto__": 1, "constructor": "c"}') as Record<string, XmlRpcValue>));
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
	});

	it('calls: method name and params', async () => {
		const params: XmlRpcValue[] = ['x', 1, null, [true], {a: Buffer.from('hi')}];
		expect(await decodeCall(encodeCall('guest.file_read', params))).toEqual({
			method: 'guest.file_read',
			params: params.map((p, i) => (i === 4 ? nullProto({a: Buffer.from('hi')}) : p)),
		});
		expect(await decodeCall(encodeCall('guest.ping', []))).toEqual({method: 'guest.ping', params: []});
		expect(() => encodeCall('', [])).toThrow(TypeError);
	});

	it('the ping shapes are exactly what the library writes', () => {
		expect(encodeCall('ping', [null]).toString()).toBe(serializer.serializeMethodCall('ping', [null]));
		expect(encodeResponse('dummy').toString()).toBe(serializer.serializeMethodResponse('dummy'));
	});

	it('property: any value round-trips (strings sanitized, integral numbers beyond i4 via i8/double)', async () => {
		await fc.assert(
			fc.asyncProperty(arbitraryValue(), async value => {
				expect(await roundTrip(value)).toEqual(expectedAfterRoundTrip(value));
			}),
			{numRuns: 300},
		);
	});
});

describe('characters XML forbids are replaced, never thrown', () => {
	it('sanitizeXmlString', () => {
		expect(sanitizeXmlString('\x1b[31mred\x1b[0m')).toBe('\ufffd[31mred\ufffd[0m');
		expect(sanitizeXmlString('\0\x01\x08\x0b\x0c\x0e\x1f')).toBe('\ufffd'.repeat(7));
		expect(sanitizeXmlString('\t\n\r \x7f\x85\u2028')).toBe('\t\n\r \x7f\x85\u2028');
		expect(sanitizeXmlString('\ufffe\uffff\ufffd')).toBe('\ufffd\ufffd\ufffd');
		expect(sanitizeXmlString('a\ud800b\udc00c')).toBe('a\ufffdb\ufffdc');
		expect(sanitizeXmlString('\udc00\ud800')).toBe('\ufffd\ufffd');
		expect(sanitizeXmlString('😀 \ud83d\ude00')).toBe('😀 😀');
		expect(sanitizeXmlString('\ud83d')).toBe('\ufffd');
	});

	it('the library serializer throws on ESC (why this exists)', () => {
		expect(() => serializer.serializeMethodResponse('\x1b[31mred')).toThrow();
	});

	it('in strings, struct keys and method names', async () => {
		const dmesg = '[    0.000000] \x1b[1mLinux\x1b[0m \x07\0';
		expect(await roundTrip(dmesg)).toBe('[    0.000000] \ufffd[1mLinux\ufffd[0m \ufffd\ufffd');
		expect(await roundTrip({'k\x1b': 'v\x01'})).toEqual(nullProto({'k\ufffd': 'v\ufffd'}));
		expect((await decodeCall(encodeCall('bad\x1bname', []))).method).toBe('bad\ufffdname');
		const fault = await decodeResponse(encodeFault({code: -500, message: 'oops \x1b[2J'}));
		expect(fault).toEqual({ok: false, fault: {code: -500, message: 'oops \ufffd[2J'}});
	});

	it('property: any string decodes as its sanitized self', async () => {
		const codeUnits = fc.array(fc.integer({min: 0, max: 0xffff}), {maxLength: 40}).map(units => String.fromCharCode(...units));
		await fc.assert(
			fc.asyncProperty(fc.oneof(codeUnits, fc.string({unit: 'binary'})), async s => {
				expect(await roundTrip(s)).toBe(sanitizeXmlString(s));
				expect(await roundTrip({[s]: s})).toEqual(nullProto({[sanitizeXmlString(s)]: sanitizeXmlString(s)}));
			}),
			{numRuns: 500},
		);
	});
});

describe('undefined and other values XML-RPC cannot carry', () => {
	it('undefined is a TypeError naming its path', () => {
		expect(() => encodeCall('m', ['a', undefined as unknown as XmlRpcValue])).toThrow(/undefined at params\[1\]$/);
		expect(() => encodeResponse({a: [1, 2, {b: undefined as unknown as XmlRpcValue}]})).toThrow(/undefined at value\.a\[2\]\.b$/);
		expect(() => encodeResponse({'odd key': undefined as unknown as XmlRpcValue})).toThrow(/at value\["odd key"\]$/);
		expect(() => encodeResponse(undefined as unknown as XmlRpcValue)).toThrow(TypeError);
	});

	it('an array hole is undefined', () => {
		// eslint-disable-next-line no-sparse-arrays -- the hole IS the case under test
		expect(() => encodeResponse([1, , 3] as unknown as XmlRpcValue)).toThrow(/undefined at value\[1\]/);
	});

	it('functions, symbols, class instances and cycles are TypeErrors', () => {
		expect(() => encodeResponse((() => 1) as unknown as XmlRpcValue)).toThrow(/function/);
		expect(() => encodeResponse([Symbol('s')] as unknown as XmlRpcValue)).toThrow(/symbol at value\[0\]/);
		expect(() => encodeResponse(new Map() as unknown as XmlRpcValue)).toThrow(/Map/);
		const cyclic: Record<string, unknown> = {};
		cyclic.self = cyclic;
		expect(() => encodeResponse(cyclic as XmlRpcValue)).toThrow(/cycle/);
	});
});

describe('faults', () => {
	it('encode a real {faultCode, faultString} struct, as the library does for a plain object', async () => {
		const xml = encodeFault({code: FaultCode.methodNotFound, message: 'Method not found: guest.x'});
		expect(xml.toString()).toBe(serializer.serializeFault({faultCode: -506, faultString: 'Method not found: guest.x'}));
		expect(await decodeResponse(xml)).toEqual({ok: false, fault: {code: -506, message: 'Method not found: guest.x'}});
	});

	it('non-ASCII, markup and empty messages', async () => {
		for (const message of ['échec <&> ✓', '']) {
			expect(await decodeResponse(encodeFault({code: -501, message}))).toEqual({ok: false, fault: {code: -501, message}});
		}
	});

	it('the fault code must be an i4 integer', () => {
		expect(() => encodeFault({code: 1.5, message: 'x'})).toThrow(TypeError);
		expect(() => encodeFault({code: 2 ** 31, message: 'x'})).toThrow(TypeError);
	});

	it('a fault with a bad struct is a parse error', async () => {
		const fault = (inner: string) => Buffer.from(`<methodResponse><fault>${inner}</fault></methodResponse>`);
		for (const inner of [
			'',
			'<value><int>1</int></value>',
			'<value><struct><member><name>faultString</name><value>x</value></member></struct></value>',
			'<value><struct><member><name>faultCode</name><value>notanint</value></member></struct></value>',
			'<value><struct><member><name>faultCode</name><value><int>1</int></value></member><member><name>faultString</name><value><int>2</int></value></member></struct></value>',
		]) {
			expect(() => decodeResponse(fault(inner))).toThrow(CodecError);
		}
	});

	it('a fault is not a call', async () => {
		expect(() => decodeCall(encodeFault({code: -500, message: 'x'}))).toThrow(CodecError);
	});
});

describe('parse errors throw CodecError (fault -503)', () => {
	const call = encodeCall('guest.ping', [null]).toString();
	const response = encodeResponse({a: [1, 'two']}).toString();
	it.each([
		['empty body', ''],
		['whitespace', '  \n'],
		['garbage', 'hello world'],
		['binary garbage', '\xff\xfe\x00\x01<'],
		['truncated call', call.slice(0, call.length - 10)],
		['truncated response', response.slice(0, 60)],
		['unknown root', '<?xml version="1.0"?><foo/>'],
		['HTML', '<html><body>502 Bad Gateway</body></html>'],
		['mismatched tags', '<methodResponse><params><param><value><int>1</string></value></param></params></methodResponse>'],
		['text after the root', `${response}junk`],
		['bad int', '<methodResponse><params><param><value><int>12abc</int></value></param></params></methodResponse>'],
		['bad boolean', '<methodResponse><params><param><value><boolean>yes</boolean></value></param></params></methodResponse>'],
		['bad double', '<methodResponse><params><param><value><double>inf</double></value></param></params></methodResponse>'],
		['i8 beyond 64 bits', '<methodResponse><params><param><value><i8>9223372036854775808</i8></value></param></params></methodResponse>'],
		['bad date', '<methodResponse><params><param><value><dateTime.iso8601>20241302T00:00:00</dateTime.iso8601></value></param></params></methodResponse>'],
		['invalid character reference', '<methodResponse><params><param><value><string>&#xFFFFFFFF;</string></value></param></params></methodResponse>'],
		['unknown entity', '<methodResponse><params><param><value><string>&nbsp;</string></value></param></params></methodResponse>'],
		[
			'struct member without a value',
			'<methodResponse><params><param><value><struct><member><name>a</name></member></struct></value></param></params></methodResponse>',
		],
		['no params', '<methodResponse><params></params></methodResponse>'],
		['two params', '<methodResponse><params><param><value>1</value></param><param><value>2</value></param></params></methodResponse>'],
	])('response: %s', async (_name, body) => {
		const error = thrownBy(() => decodeResponse(Buffer.from(body, 'latin1')));
		expect(error).toBeInstanceOf(CodecError);
		expect((error as CodecError).faultCode).toBe(FaultCode.parseError);
	});

	it.each([
		['empty body', ''],
		['garbage', '<<<>>>'],
		['a response', response],
		['no method name', '<methodCall><params/></methodCall>'],
		['truncated', call.slice(0, 50)],
	])('call: %s', async (_name, body) => {
		expect(() => decodeCall(Buffer.from(body))).toThrow(CodecError);
	});

	it('a call is not a response', async () => {
		expect(() => decodeResponse(Buffer.from(call))).toThrow(CodecError);
	});

	it('fault vs parse error: a fault decodes, a parse error throws', async () => {
		expect(decodeResponse(encodeFault({code: -503, message: 'parse error'}))).toEqual({ok: false, fault: {code: -503, message: 'parse error'}});
		expect(() => decodeResponse(Buffer.from('<methodResponse><fault>'))).toThrow(CodecError);
	});

	it('property: random bytes and mangled messages decode or throw CodecError, nothing else', async () => {
		const good = encodeResponse([{a: 1, b: ['x', 2.5, true, null, Buffer.from('z')]}, new Date(0), 2n ** 60n]).toString();
		const mangled = fc
			.tuple(fc.nat(good.length), fc.nat(good.length), fc.string({maxLength: 5}))
			.map(([a, b, s]) => good.slice(0, Math.min(a, b)) + s + good.slice(Math.max(a, b)));
		await fc.assert(
			fc.asyncProperty(fc.oneof(mangled, fc.string()), async body => {
				for (const decode of [decodeResponse, decodeCall]) {
					const result = thrownBy(() => decode(Buffer.from(body)));
					if (result instanceof Error) {
						expect(result).toBeInstanceOf(CodecError);
					}
				}
			}),
			{numRuns: 500},
		);
	});
});

describe('reading other encoders leniently', () => {
	it('<int> and <i4> beyond i4 read like i8 (number when safe, else bigint)', async () => {
		expect(await decodeInner('<int>1099511627776</int>')).toBe(2 ** 40);
		expect(await decodeInner('<i4>-9007199254740993</i4>')).toBe(-(2n ** 53n) - 1n);
		expect(await decodeInner('<int> +7 </int>')).toBe(7);
		expect(await decodeInner('<i8>-0</i8>')).toBe(0);
		expect(Object.is(await decodeInner('<i8>-0</i8>'), -0)).toBe(false);
	});

	it('<value> without a type tag is a string; CDATA too', async () => {
		expect(await decodeInner('plain')).toBe('plain');
		expect(await decodeInner('')).toBe('');
		expect(await decodeInner('<string><![CDATA[a<b]]></string>')).toBe('a<b');
	});

	it('tag names are case-blind, whitespace between elements is ignored', async () => {
		const body = '<?xml version="1.0"?>\n<METHODRESPONSE>\n<Params>\n<param>\n<value><I4>5</I4></value>\n</param>\n</Params>\n</METHODRESPONSE>\n';
		expect(await decodeResponse(Buffer.from(body))).toEqual({ok: true, value: 5});
	});

	it('doubles with exponents (as Python and JavaScript write them)', async () => {
		expect(await decodeInner('<double>1e-07</double>')).toBe(1e-7);
		expect(await decodeInner('<double>-1.5E+300</double>')).toBe(-1.5e300);
		expect(await decodeInner('<double>.5</double>')).toBe(0.5);
	});

	describe('dates', () => {
		const savedTz = process.env.TZ;
		afterEach(() => {
			process.env.TZ = savedTz;
		});

		it('without an offset are UTC whatever the host zone; offsets and fractions are honoured', async () => {
			process.env.TZ = 'Asia/Kolkata'; // +05:30, so a local-time misreading shows
			expect(new Date(Date.UTC(2024, 0, 2)).getTimezoneOffset()).toBe(-330);
			const utc = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
			expect(await decodeInner('<dateTime.iso8601>20240102T03:04:05</dateTime.iso8601>')).toEqual(utc);
			expect(await decodeInner('<dateTime.iso8601>2024-01-02T03:04:05</dateTime.iso8601>')).toEqual(utc);
			expect(await decodeInner('<dateTime.iso8601>20240102T030405Z</dateTime.iso8601>')).toEqual(utc);
			expect(await decodeInner('<dateTime.iso8601>20240102T08:34:05+05:30</dateTime.iso8601>')).toEqual(utc);
			expect(await decodeInner('<dateTime.iso8601>20240101T22:04:05-0500</dateTime.iso8601>')).toEqual(utc);
			expect(await decodeInner('<dateTime.iso8601>20240102T05:04:05+02</dateTime.iso8601>')).toEqual(utc);
			expect(await decodeInner('<dateTime.iso8601>20240102T03:04:05.25Z</dateTime.iso8601>')).toEqual(new Date(utc.getTime() + 250));
			// Encoding does not depend on the host zone either.
			expect(encodeResponse(utc).toString()).toContain('20240102T03:04:05<');
		});

		it('the library reads offset-less dates in local time and writes UTC with a Z (why we own dates)', () => {
			process.env.TZ = 'Asia/Kolkata';
			// Not 03:04:05Z (nor even 21:34:05Z: its offset rounding is an hour off for +05:30).
			expect(dateFormatter.decodeIso8601('20240102T03:04:05').toISOString()).not.toBe('2024-01-02T03:04:05.000Z');
			expect(dateFormatter.encodeIso8601(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('20240102T08:34:05');
			expect(dateFormatter.opts.local).toBe(true); // the codec never changes the global formatter
		});
	});
});

describe('against the library serializer', () => {
	class I8 extends CustomType {}
	I8.prototype.tagName = 'i8';
	class Double extends CustomType {}
	Double.prototype.tagName = 'double';

	/** What the library needs to write the same thing: i8 and big integral doubles as CustomTypes. */
	function forLibrary(value: XmlRpcValue): unknown {
		if (typeof value === 'bigint' || (Number.isSafeInteger(value) && ((value as number) > 0x7fff_ffff || (value as number) < -0x8000_0000))) {
			return new I8(String(value));
		}
		if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
			return new Double(String(value)); // the library would write <int>1e+21</int>
		}
		if (Array.isArray(value)) {
			return value.map((v: XmlRpcValue) => forLibrary(v));
		}
		if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && !(value instanceof Date)) {
			return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forLibrary(v)]));
		}
		return value;
	}

	it('property: byte for byte where the library is right (no dates, no < or & in strings)', () => {
		const safeString = fc.string({unit: 'grapheme', maxLength: 20}).filter(s => !/[<&]/.test(s) && sanitizeXmlString(s) === s);
		fc.assert(
			fc.property(arbitraryValue(safeString, false), fc.array(arbitraryValue(safeString, false), {maxLength: 3}), (value, params) => {
				expect(encodeResponse(value).toString()).toBe(serializer.serializeMethodResponse(forLibrary(value)));
				expect(encodeCall('a.method', params).toString()).toBe(serializer.serializeMethodCall('a.method', params.map(forLibrary)));
			}),
			{numRuns: 300},
		);
	});

	it('property: the same value where the library writes CDATA', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.string({maxLength: 30}).map(s => sanitizeXmlString(`${s}<&]]>`)),
				async s => {
					const ours = await decodeResponse(encodeResponse([s]));
					const theirs = await decodeResponse(Buffer.from(serializer.serializeMethodResponse([s])));
					expect(ours).toEqual(theirs);
					expect(ours).toEqual({ok: true, value: [s]});
				},
			),
		);
	});
});

// ---------------------------------------------------------------------------------------------

function arbitraryValue(strings: fc.Arbitrary<string> = fc.string({unit: 'binary', maxLength: 20}), dates = true): fc.Arbitrary<XmlRpcValue> {
	const scalars: fc.Arbitrary<XmlRpcValue>[] = [
		strings,
		fc.integer(),
		fc.integer({min: -(2 ** 31) - 10, max: -(2 ** 31) + 10}),
		fc.integer({min: 2 ** 31 - 10, max: 2 ** 31 + 10}),
		fc.maxSafeInteger(),
		fc.bigInt({min: -(2n ** 63n), max: 2n ** 63n - 1n}),
		fc.boolean(),
		fc.double({noNaN: true, noDefaultInfinity: true}),
		fc.constant(null),
		fc.uint8Array({maxLength: 40}).map(u => Buffer.from(u)),
	];
	if (dates) {
		scalars.push(fc.date({min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true}));
	}
	return fc.letrec<{value: XmlRpcValue}>(tie => ({
		value: fc.oneof(
			{depthSize: 'small', withCrossShrink: true},
			...scalars,
			fc.array(tie('value'), {maxLength: 4}),
			fc.dictionary(strings, tie('value'), {maxKeys: 4}),
		),
	})).value;
}

/** What a round trip gives: strings sanitized, bigints narrowed, dates to the second, null-prototype structs. */
function expectedAfterRoundTrip(value: XmlRpcValue): XmlRpcValue {
	if (typeof value === 'string') {
		return sanitizeXmlString(value);
	}
	if (typeof value === 'bigint') {
		return Number.isSafeInteger(Number(value)) ? Number(value) : value;
	}
	if (typeof value === 'number') {
		return value + 0; // -0 goes as <int>0</int>
	}
	if (value instanceof Date) {
		return new Date(value.getTime() - (((value.getTime() % 1000) + 1000) % 1000));
	}
	if (Array.isArray(value)) {
		return value.map((v: XmlRpcValue) => expectedAfterRoundTrip(v));
	}
	if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
		const out = Object.create(null) as Record<string, XmlRpcValue>;
		for (const [k, v] of Object.entries(value)) {
			out[sanitizeXmlString(k)] = expectedAfterRoundTrip(v);
		}
		return out;
	}
	return value;
}

/** What `decode` threw, or undefined. */
function thrownBy(decode: () => unknown): unknown {
	try {
		decode();
		return undefined;
	} catch (error) {
		return error;
	}
}

describe('hostile bodies (PROTOCOL.md §7)', () => {
	const nestedArrays = (depth: number) => `${'<value><array><data>'.repeat(depth)}<value><int>1</int></value>${'</data></array></value>'.repeat(depth)}`;
	const nestedStructs = (depth: number) =>
		`${'<value><struct><member><name>k</name>'.repeat(depth)}<value><int>1</int></value>${'</member></struct></value>'.repeat(depth)}`;
	const call = (param: string) =>
		Buffer.from(`<?xml version="1.0"?><methodCall><methodName>m</methodName><params><param>${param}</param></params></methodCall>`);
	const response = (value: string) => Buffer.from(`<?xml version="1.0"?><methodResponse><params><param>${value}</param></params></methodResponse>`);

	it.each([
		['arrays', nestedArrays],
		['structs', nestedStructs],
	])('%s nested 64 deep decode; 65 deep is fault -501, in a call and in a response', (_name, nested) => {
		expect(decodeCall(call(nested(64))).params).toHaveLength(1);
		expect(decodeResponse(response(nested(64))).ok).toBe(true);
		for (const decode of [() => decodeCall(call(nested(65))), () => decodeResponse(response(nested(65)))]) {
			const error = thrownBy(decode);
			expect(error).toBeInstanceOf(CodecError);
			expect((error as CodecError).faultCode).toBe(FaultCode.typeError);
			expect((error as Error).message).toMatch(/nesting deeper than 64/);
		}
	});

	it('3,000 levels (through sax too, with a comment the scanner declines) are refused without recursion', () => {
		const deep = nestedArrays(3000);
		for (const body of [call(deep), Buffer.from(call(deep).toString().replace('<params>', '<params><!-- x -->'))]) {
			expect((thrownBy(() => decodeCall(body)) as CodecError).faultCode).toBe(FaultCode.typeError);
		}
	});

	it('deeply nested structure elements (no containers) are refused too', () => {
		const body = call(`<value>${'<data>'.repeat(5000)}${'</data>'.repeat(5000)}</value>`);
		expect(thrownBy(() => decodeCall(body))).toBeInstanceOf(CodecError);
	});

	it('the encoder writes 64 levels and refuses 65: what one end writes, the other reads', () => {
		let value: XmlRpcValue = 1;
		for (let i = 0; i < 64; i++) {
			value = [value];
		}

		expect(decodeResponse(encodeResponse(value))).toEqual({ok: true, value});
		expect(() => encodeResponse([value])).toThrow(/nesting deeper than 64/);
	});

	it('a <double> of 200,000 digits and an x is a parse error; the same digits alone are a number', () => {
		const digits = '9'.repeat(200_000);
		const error = thrownBy(() => decodeResponse(response(`<value><double>${digits}x</double></value>`)));
		expect(error).toBeInstanceOf(CodecError);
		expect((error as CodecError).faultCode).toBe(FaultCode.parseError);
		expect(decodeResponse(response(`<value><double>1.${digits}</double></value>`))).toEqual({ok: true, value: 2});
	});

	it.each([
		[
			'an internal entity',
			'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa">]><methodResponse><params><param><value><string>&a;</string></value></param></params></methodResponse>',
		],
		[
			'an external entity (XXE)',
			'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><methodResponse><params><param><value><string>&x;</string></value></param></params></methodResponse>',
		],
	])('%s is refused (never expanded)', (_name, body) => {
		expect(thrownBy(() => decodeResponse(Buffer.from(body)))).toBeInstanceOf(CodecError);
	});

	it('whatever the decoder accepts, the encoder writes back: faults with an i4 code, dates within years 0000-9999', () => {
		const fault = (code: string) =>
			Buffer.from(
				`<methodResponse><fault><value><struct><member><name>faultCode</name><value>${code}</value></member><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>`,
			);
		expect(decodeResponse(fault('<int>-2147483648</int>'))).toEqual({ok: false, fault: {code: -(2 ** 31), message: 'x'}});
		expect(thrownBy(() => decodeResponse(fault('<i8>2147483648</i8>')))).toBeInstanceOf(CodecError);
		expect(thrownBy(() => decodeResponse(fault('<double>1.5</double>')))).toBeInstanceOf(CodecError);
		for (const date of ['00000101T00:00:00+01:00', '99991231T23:59:59-00:01']) {
			expect(thrownBy(() => decodeResponse(response(`<value><dateTime.iso8601>${date}</dateTime.iso8601></value>`)))).toBeInstanceOf(CodecError);
		}

		const edge = decodeResponse(response('<value><dateTime.iso8601>00000101T01:00:00+01:00</dateTime.iso8601></value>'));
		expect(edge.ok && encodeResponse(edge.value).toString()).toContain('00000101T00:00:00');
	});

	it('property: a mangled body either throws CodecError or decodes to something the encoder writes', () => {
		const good = [
			encodeResponse([{a: 1, b: ['x', 2.5, true, null, Buffer.from('z')]}, new Date(0), 2n ** 60n, {c: {d: [[]]}}]).toString(),
			encodeFault({code: -500, message: 'm'}).toString(),
		];
		const mangled = fc
			.tuple(
				fc.constantFrom(...good),
				fc.nat(400),
				fc.nat(400),
				fc.string({unit: fc.constantFrom('<', '>', '/', 'a', 'i8', '9', '-', '+', 'T', ':', 'array', 'value', 'data', '&#10;'), maxLength: 8}),
			)
			.map(([doc, a, b, s]) => doc.slice(0, Math.min(a, b)) + s + doc.slice(Math.max(a, b)));
		fc.assert(
			fc.property(mangled, body => {
				const decoded = thrownBy(() => decodeResponse(Buffer.from(body)));
				if (decoded instanceof Error) {
					expect(decoded).toBeInstanceOf(CodecError);
					return;
				}

				const response = decodeResponse(Buffer.from(body));
				expect(() => (response.ok ? encodeResponse(response.value) : encodeFault(response.fault))).not.toThrow();
			}),
			{numRuns: 1000},
		);
	});

	it('a parse error is one line (sax reports Line/Column on lines of their own)', () => {
		const error = thrownBy(() => decodeResponse(Buffer.from('<methodResponse><params><!-- x --><param>\n<value><int>1</string>')));
		expect(error).toBeInstanceOf(CodecError);
		expect((error as Error).message).not.toMatch(/[\r\n]/);
	});
});

describe('against the library deserializer (its public entry point, on a stream)', () => {
	function libraryDecode(xml: string): Promise<unknown> {
		return new Promise((resolve, reject) => {
			new Deserializer().deserializeMethodResponse(Readable.from([xml]), (error, value) => {
				if (error) {
					reject(error);
				} else {
					resolve(value);
				}
			});
		});
	}

	/** The values both read alike: no i8, no dates, doubles that are not integral. */
	const comparable = fc.letrec<{value: unknown}>(tie => ({
		value: fc.oneof(
			{depthSize: 'small'},
			fc.string({unit: 'grapheme', maxLength: 20}).map(s => sanitizeXmlString(s)),
			fc.integer(),
			fc.boolean(),
			fc.double({noNaN: true, noDefaultInfinity: true}).filter(d => !Number.isInteger(d)),
			fc.constant(null),
			fc.uint8Array({maxLength: 40}).map(u => Buffer.from(u)),
			fc.array(tie('value'), {maxLength: 4}),
			fc.dictionary(
				fc.string({unit: 'grapheme', maxLength: 8}).map(s => sanitizeXmlString(s)),
				tie('value'),
				{maxKeys: 4},
			),
		),
	})).value;

	it("property: the library serializer's documents decode to the value the library reads", async () => {
		await fc.assert(
			fc.asyncProperty(comparable, async value => {
				const xml = serializer.serializeMethodResponse(value);
				const ours = decodeResponse(Buffer.from(xml));
				expect(ours.ok).toBe(true);
				expect(JSON.stringify(ours.ok ? ours.value : undefined)).toBe(JSON.stringify(await libraryDecode(xml)));
			}),
			{numRuns: 300},
		);
	});
});
