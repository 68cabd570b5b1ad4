/*
 * What the mutation run of the codec (npm run mutate:codec, docs/mutation.md) found untested:
 * the exact reason each refusal gives (it is the fault string the peer reads, PROTOCOL.md §3),
 * and the edges of every range the codec checks (i4, i8, years, the integer length bounds).
 */
import {describe, expect, it} from 'vitest';
import {decodeCall, decodeResponse, encodeCall, encodeFault, encodeResponse} from '../../src/protocol/codec.js';
import {CodecError, FaultCode, type XmlRpcValue} from '../../src/protocol/value.js';
import {parseDateTime, parseDouble, parseInteger} from '../../src/protocol/xmlrpc-reader.js';

const I4_MIN = -(2 ** 31);
const I4_MAX = 2 ** 31 - 1;

const response = (inner: string) => Buffer.from(`<?xml version="1.0"?><methodResponse>${inner}</methodResponse>`);
const params = (...values: string[]) => response(`<params>${values.map(value => `<param>${value}</param>`).join('')}</params>`);
const fault = (inner: string) => response(`<fault>${inner}</fault>`);
const faultStruct = (members: string) => fault(`<value><struct>${members}</struct></value>`);
const member = (name: string, value: string) => `<member><name>${name}</name><value>${value}</value></member>`;

/** The CodecError a body throws: its message and fault code. */
function refusal(decode: () => unknown): {message: string; faultCode: number} {
	try {
		decode();
	} catch (error) {
		expect(error).toBeInstanceOf(CodecError);
		return {message: (error as CodecError).message, faultCode: (error as CodecError).faultCode};
	}

	throw new Error('decoded without an error');
}

const malformed = (reason: string) => ({message: `Malformed XML-RPC body: ${reason}`, faultCode: FaultCode.parseError});

function valueOf(body: Buffer): XmlRpcValue {
	const decoded = decodeResponse(body);
	if (!decoded.ok) {
		throw new Error('a fault');
	}

	return decoded.value;
}

const scalar = (type: string, text: string) => valueOf(params(`<value><${type}>${text}</${type}></value>`));

describe('calls and responses: each refusal says what was wrong', () => {
	it('decodeCall', () => {
		expect(refusal(() => decodeCall(params('<value>1</value>')))).toEqual(malformed('Not a method call'));
		expect(refusal(() => decodeCall(Buffer.from('<methodCall><methodName>m</methodName><fault><value>1</value></fault></methodCall>')))).toEqual(
			malformed('A fault is not a call'),
		);
		expect(refusal(() => decodeCall(Buffer.from('<methodCall><params/></methodCall>')))).toEqual(malformed('Method call did not contain a method name'));
		expect(refusal(() => decodeCall(Buffer.from('<methodCall><methodName></methodName></methodCall>')))).toEqual(
			malformed('Method call did not contain a method name'),
		);
		expect(decodeCall(Buffer.from('<methodCall><methodName>m</methodName></methodCall>'))).toEqual({method: 'm', params: []});
	});

	it('decodeResponse', () => {
		expect(refusal(() => decodeResponse(encodeCall('m', [])))).toEqual(malformed('Not a method response'));
		expect(refusal(() => decodeResponse(response('')))).toEqual(malformed('Invalid method response'));
		expect(refusal(() => decodeResponse(params()))).toEqual(malformed('A method response must carry exactly one value'));
		expect(refusal(() => decodeResponse(params('<value>1</value>', '<value>2</value>')))).toEqual(malformed('A method response must carry exactly one value'));
		expect(refusal(() => decodeResponse(fault('')))).toEqual(malformed('A fault must carry exactly one value'));
	});

	it('a fault needs an i4 faultCode and a string faultString; a missing faultString is empty', () => {
		const bad = malformed('A fault must be a struct with an i4 faultCode and a string faultString');
		expect(refusal(() => decodeResponse(fault('<value><nil/></value>')))).toEqual(bad);
		expect(refusal(() => decodeResponse(fault('<value><int>1</int></value>')))).toEqual(bad);
		expect(refusal(() => decodeResponse(faultStruct(member('faultCode', '<double>1.5</double>'))))).toEqual(bad);
		expect(refusal(() => decodeResponse(faultStruct(member('faultCode', '<string>1</string>'))))).toEqual(bad);
		expect(refusal(() => decodeResponse(faultStruct(member('faultCode', `<i8>${I4_MIN - 1}</i8>`))))).toEqual(bad);
		expect(refusal(() => decodeResponse(faultStruct(member('faultCode', `<i8>${I4_MAX + 1}</i8>`))))).toEqual(bad);
		expect(refusal(() => decodeResponse(faultStruct(member('faultCode', '<int>1</int>') + member('faultString', '<int>2</int>'))))).toEqual(bad);
		expect(decodeResponse(faultStruct(member('faultCode', `<int>${I4_MIN}</int>`)))).toEqual({ok: false, fault: {code: I4_MIN, message: ''}});
		expect(decodeResponse(faultStruct(member('faultCode', `<int>${I4_MAX}</int>`) + member('faultString', 'why')))).toEqual({
			ok: false,
			fault: {code: I4_MAX, message: 'why'},
		});
	});
});

describe('the reader: each refusal says what was wrong', () => {
	it('elements', () => {
		expect(refusal(() => decodeResponse(params('<value><foo>1</foo></value>')))).toEqual(malformed("Unknown XML-RPC tag 'foo'"));
		expect(refusal(() => decodeResponse(params('<value><string><int>1</int></string></value>')))).toEqual(malformed('<int> inside a scalar'));
		expect(refusal(() => decodeResponse(params('<value><methodCall/></value>')))).toEqual(malformed('<methodCall> below the root'));
		expect(refusal(() => decodeResponse(Buffer.from('<params/>')))).toEqual(malformed('<params> is not an XML-RPC root'));
		expect(refusal(() => decodeResponse(params('<value><boolean>true</boolean></value>')))).toEqual(malformed("Illegal boolean value 'true'"));
		expect(refusal(() => decodeResponse(params(`<value><foo${'o'.repeat(100)}>1</foo${'o'.repeat(100)}></value>`))).message).toBe(
			`Malformed XML-RPC body: Unknown XML-RPC tag 'f${'o'.repeat(39)}'`,
		);
	});

	it('struct members', () => {
		expect(refusal(() => decodeResponse(params('<value><struct><member><value>1</value></member></struct></value>')))).toEqual(
			malformed('Struct member without a name or a value'),
		);
		expect(refusal(() => decodeResponse(params('<value><struct><member><value><int>1</int></value><value>2</value></member></struct></value>')))).toEqual(
			malformed('Struct member without a name'),
		);
		expect(valueOf(params('<value><struct><member><name>a</name><value><int>1</int></value></member></struct></value>'))).toEqual({a: 1});
	});

	it("sax's reason for what the scanner declines (an unknown entity: no entity expansion), the first problem only", () => {
		expect(refusal(() => decodeResponse(params('<value>&nbsp;</value>')))).toEqual(malformed('Invalid character entity'));
		expect(refusal(() => decodeResponse(params('<value>&nbsp;</value><bogus/>')))).toEqual(malformed('Invalid character entity'));
	});
});

describe('the reader: limits and what its reasons look like', () => {
	const nestedEmptyArrays = (depth: number) =>
		`${'<value><array><data>'.repeat(depth - 1)}<value><array><data/></array></value>${'</data></array></value>'.repeat(depth - 1)}`;

	it('64 nested containers are read, 65 refused (-501), even when the innermost is empty', () => {
		expect(valueOf(params(nestedEmptyArrays(64)))).toBeInstanceOf(Array);
		expect(refusal(() => decodeResponse(params(nestedEmptyArrays(65))))).toEqual({
			message: 'Malformed XML-RPC body: nesting deeper than 64 levels',
			faultCode: FaultCode.typeError,
		});
	});

	it('a body with no root element, or text or an element after it, is refused', () => {
		expect(refusal(() => decodeResponse(Buffer.from('')))).toEqual(malformed('Invalid XML-RPC message'));
		expect(refusal(() => decodeCall(Buffer.from(' \n')))).toEqual(malformed('Invalid XML-RPC message'));
		const good = encodeResponse('x').toString();
		expect(refusal(() => decodeResponse(Buffer.from(`${good}junk`)))).toEqual(malformed('Text data outside of root node.'));
		expect(refusal(() => decodeResponse(Buffer.from(`${good}<params/>`)))).toEqual(malformed('<params> is not an XML-RPC root'));
	});

	it('a reason is one line: runs of white space made one space, the cause kept', () => {
		expect(refusal(() => decodeResponse(params('<value><boolean>  a\r\n\tb</boolean></value>')))).toEqual(malformed("Illegal boolean value ' a b'"));
		try {
			decodeResponse(params('<value>&nbsp;</value>'));
		} catch (error) {
			expect(((error as Error).cause as Error).message).toMatch(/^Invalid character entity/u);
		}

		expect.assertions(3);
	});
});

describe('scalars at their edges', () => {
	it('integers: sign, spaces, -0, the i8 range, and a 25-character bound on what BigInt() is given', () => {
		expect(parseInteger(' +42 ')).toBe(42);
		expect(Object.is(parseInteger('-0'), 0)).toBe(true);
		expect(parseInteger('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
		expect(parseInteger('9007199254740993')).toBe(9_007_199_254_740_993n);
		expect(parseInteger('-9223372036854775808')).toBe(-(2n ** 63n));
		expect(parseInteger('9223372036854775807')).toBe(2n ** 63n - 1n);
		expect(parseInteger(`${'0'.repeat(24)}7`)).toBe(7);
		expect(() => parseInteger(`${'0'.repeat(25)}7`)).toThrow(`Integer '${'0'.repeat(25)}7' is outside the 64-bit range`);
		expect(() => parseInteger('12abc')).toThrow("Expected an integer but got '12abc'");
		expect(() => parseInteger('9'.repeat(100))).toThrow(`Integer '${'9'.repeat(40)}' is outside the 64-bit range`);
		expect(() => parseInteger('9223372036854775808')).toThrow("Integer '9223372036854775808' is outside the 64-bit range");
		expect(() => parseInteger('-9223372036854775809')).toThrow("Integer '-9223372036854775809' is outside the 64-bit range");
		expect(parseInteger('00000000000000001')).toBe(1);
	});

	it('doubles: forms, spaces, and a finite result', () => {
		expect(parseDouble(' .5 ')).toBe(0.5);
		expect(parseDouble('5.')).toBe(5);
		expect(parseDouble('-1.5E+2')).toBe(-150);
		expect(() => parseDouble('1e999')).toThrow("Expected a finite double but got '1e999'");
		expect(() => parseDouble('0x10')).toThrow("Expected a finite double but got '0x10'");
		expect(() => parseDouble('')).toThrow("Expected a finite double but got ''");
	});

	it('dates: fractions, offsets, years 0-99 kept, and every field checked', () => {
		expect(parseDateTime(' 2024-02-29T12:34:56,5 ').toISOString()).toBe('2024-02-29T12:34:56.500Z');
		expect(parseDateTime('20240229T12:34:56.12345').toISOString()).toBe('2024-02-29T12:34:56.123Z');
		expect(parseDateTime('00500101T00:00:00').getUTCFullYear()).toBe(50);
		expect(parseDateTime('20240101T00:00:00+0530').toISOString()).toBe('2023-12-31T18:30:00.000Z');
		expect(parseDateTime('20240101T00:00:00-01').toISOString()).toBe('2024-01-01T01:00:00.000Z');
		expect(parseDateTime('20240101T00:00:00z').toISOString()).toBe('2024-01-01T00:00:00.000Z');
		for (const bad of ['20230229T00:00:00', '20240132T00:00:00', '20240101T24:00:00', '20240101T00:60:00', '20240101T00:00:60']) {
			expect(() => parseDateTime(bad)).toThrow(`Invalid dateTime '${bad}'`);
		}

		expect(() => parseDateTime('2024-01-01')).toThrow("Expected an ISO 8601 dateTime but got '2024-01-01'");
		expect(() => parseDateTime('00000101T00:00:00+01:00')).toThrow("dateTime '00000101T00:00:00+01:00' is outside years 0000-9999 in UTC");
		expect(() => parseDateTime('99991231T23:59:59-00:01')).toThrow('is outside years 0000-9999 in UTC');
		expect(parseDateTime('00000101T00:00:00').getUTCFullYear()).toBe(0);
		expect(parseDateTime('99991231T23:59:59').getUTCFullYear()).toBe(9999);
	});

	it('through the decoder: each scalar element, untyped values, and the reason of a bad scalar', () => {
		expect(scalar('i4', '-7')).toBe(-7);
		expect(scalar('boolean', '0')).toBe(false);
		expect(scalar('nil', '')).toBeNull();
		expect(valueOf(params('<value></value>'))).toBe('');
		expect(valueOf(params('<value><array><data><value>a</value><value><string>b</string></value></data></array></value>'))).toEqual(['a', 'b']);
		expect(refusal(() => scalar('double', 'x'))).toEqual(malformed("Expected a finite double but got 'x'"));
	});
});

describe('a refused scalar is quoted, trimmed, to its first 40 characters', () => {
	const long = (text: string) => `${text}${'7'.repeat(60)}`;

	it('in every scalar parser', () => {
		expect(() => parseInteger(long('x'))).toThrow(`Expected an integer but got '${long('x').slice(0, 40)}'`);
		expect(() => parseDouble(long('x'))).toThrow(`Expected a finite double but got '${long('x').slice(0, 40)}'`);
		expect(() => parseDateTime(long('x'))).toThrow(`Expected an ISO 8601 dateTime but got '${long('x').slice(0, 40)}'`);
		const badDay = long('20230229T00:00:00.');
		expect(() => parseDateTime(badDay)).toThrow(`Invalid dateTime '${badDay.slice(0, 40)}'`);
		const early = `${long('00000101T00:00:00.')}+01:00`;
		expect(() => parseDateTime(early)).toThrow(`dateTime '${early.slice(0, 40)}' is outside years 0000-9999 in UTC`);
		expect(refusal(() => scalar('boolean', long('x')))).toEqual(malformed(`Illegal boolean value '${long('x').slice(0, 40)}'`));
	});

	it('and the error says it is a CodecError where it is printed whole', () => {
		try {
			decodeCall(Buffer.from(''));
		} catch (error) {
			expect(String(error)).toBe('CodecError: Malformed XML-RPC body: Invalid XML-RPC message');
		}

		expect.assertions(1);
	});
});

describe('the encoder at the edges of its ranges', () => {
	it('i4 is <int>, one past it is <i8>; past 2^53 a number is a <double>', () => {
		expect(encodeResponse(I4_MIN).toString()).toContain(`<value><int>${I4_MIN}</int></value>`);
		expect(encodeResponse(I4_MAX).toString()).toContain(`<value><int>${I4_MAX}</int></value>`);
		expect(encodeResponse(I4_MIN - 1).toString()).toContain(`<value><i8>${I4_MIN - 1}</i8></value>`);
		expect(encodeResponse(I4_MAX + 1).toString()).toContain(`<value><i8>${I4_MAX + 1}</i8></value>`);
		expect(encodeResponse(2 ** 53).toString()).toContain('<value><double>9007199254740992</double></value>');
		expect(encodeResponse(2n ** 63n - 1n).toString()).toContain('<value><i8>9223372036854775807</i8></value>');
		expect(encodeResponse(-(2n ** 63n)).toString()).toContain('<value><i8>-9223372036854775808</i8></value>');
		expect(() => encodeResponse(Number.NaN)).toThrow('XML-RPC cannot encode NaN (XML-RPC has no representation for NaN or Infinity) at value');
		expect(() => encodeResponse(2n ** 63n)).toThrow('XML-RPC cannot encode a bigint outside the 64-bit range of i8 (9223372036854775808) at value');
	});

	it('dates: years 0 and 9999 are written, others are refused with the year', () => {
		const year0 = new Date(Date.UTC(2000, 0, 2, 3, 4, 5));
		year0.setUTCFullYear(0);
		expect(encodeResponse(year0).toString()).toContain('<dateTime.iso8601>00000102T03:04:05</dateTime.iso8601>');
		expect(encodeResponse(new Date(Date.UTC(9999, 11, 31, 23, 59, 59))).toString()).toContain('<dateTime.iso8601>99991231T23:59:59</dateTime.iso8601>');
		const before = new Date(Date.UTC(2000, 0, 1));
		before.setUTCFullYear(-1);
		expect(() => encodeResponse(before)).toThrow('XML-RPC cannot encode a Date outside years 0000-9999 (-1) at value');
		expect(() => encodeResponse(new Date(Date.UTC(10_000, 0, 1)))).toThrow('a Date outside years 0000-9999 (10000) at value');
		expect(() => encodeResponse(new Date(Number.NaN))).toThrow('XML-RPC cannot encode an invalid Date at value');
	});

	it('names where an unencodable value is: identifiers as .name, others quoted', () => {
		const bad = undefined as unknown as XmlRpcValue;
		expect(() => encodeResponse({$a: {_b: [bad]}})).toThrow('XML-RPC cannot encode undefined at value.$a._b[0]');
		expect(() => encodeResponse({'1a': bad})).toThrow('XML-RPC cannot encode undefined at value["1a"]');
		expect(() => encodeResponse({'a-b': bad})).toThrow('at value["a-b"]');
		expect(() => encodeCall('m', [1, [bad]])).toThrow('XML-RPC cannot encode undefined at params[1][0]');
		expect(() => encodeResponse(new (class Point {})() as unknown as XmlRpcValue)).toThrow(
			'XML-RPC cannot encode an instance of Point (only plain objects are structs) at value',
		);
		expect(() => encodeResponse(Symbol('s') as unknown as XmlRpcValue)).toThrow('XML-RPC cannot encode a symbol at value');
		expect(() => encodeCall('', [])).toThrow('XML-RPC cannot encode a call without a method name');
		const orphan = Object.create(Object.create(null) as object) as XmlRpcValue;
		expect(() => encodeResponse(orphan)).toThrow('XML-RPC cannot encode an instance of a class (only plain objects are structs) at value');
	});

	it("passes on an exception of the value's own (a getter that throws) unchanged", () => {
		const failure = new Error('getter failed');
		const value = {
			get a(): XmlRpcValue {
				throw failure;
			},
		};
		expect(() => encodeResponse([value])).toThrow(failure);
	});

	it('a plain object with a null prototype is a struct; empty containers and strings are written short', () => {
		const bare = Object.assign(Object.create(null) as Record<string, XmlRpcValue>, {k: ''});
		expect(encodeResponse(bare).toString()).toContain('<value><struct><member><name>k</name><value><string/></value></member></struct></value>');
		expect(encodeResponse({'': 1}).toString()).toContain('<member><name/><value><int>1</int></value></member>');
		expect(encodeResponse([[], {}, Buffer.alloc(0)]).toString()).toContain(
			'<value><array><data><value><array><data/></array></value><value><struct/></value><value><base64/></value></data></array></value>',
		);
		expect(encodeCall('m', []).toString()).toBe('<?xml version="1.0"?><methodCall><methodName>m</methodName><params/></methodCall>');
		expect(encodeCall('a<b', ['x\r']).toString()).toBe(
			'<?xml version="1.0"?><methodCall><methodName>a&lt;b</methodName><params><param><value><string>x&#xD;</string></value></param></params></methodCall>',
		);
	});

	it('fault codes: the i4 range exactly, and the message written short when empty', () => {
		expect(encodeFault({code: I4_MIN, message: ''}).toString()).toContain(
			`<name>faultCode</name><value><int>${I4_MIN}</int></value></member><member><name>faultString</name><value><string/></value>`,
		);
		expect(encodeFault({code: I4_MAX, message: 'a&b'}).toString()).toContain('<value><string>a&amp;b</string></value>');
		expect(() => encodeFault({code: I4_MIN - 1, message: ''})).toThrow(`XML-RPC fault codes are i4 integers, not ${I4_MIN - 1}`);
		expect(() => encodeFault({code: I4_MAX + 1, message: ''})).toThrow(`XML-RPC fault codes are i4 integers, not ${I4_MAX + 1}`);
	});
});
