/**
 * The scanner's contract: whatever it accepts, sax (strict, the codec's parser) reads as the
 * same events. Checked on our encoder's output, on the xmlrpc package's serializer, on Python's
 * xmlrpc.client, and on random near-XML, where it may decline but must never disagree.
 */
import {spawnSync} from 'node:child_process';
import fc from 'fast-check';
import sax from 'sax';
import {describe, expect, it} from 'vitest';
import * as serializer from 'xmlrpc/lib/serializer.js';
import {encodeCall, encodeFault, encodeResponse} from '../../src/protocol/codec.js';
import type {XmlRpcValue} from '../../src/protocol/value.js';
import {scanXml} from '../../src/protocol/xml-scan.js';

type Event = readonly ['open' | 'close' | 'text', string];
/** Adjacent texts merged: sax splits long text nodes at 64 KiB; the codec joins them anyway. */
function push(events: Event[], event: Event): void {
	const last = events.at(-1);
	if (event[0] === 'text' && last?.[0] === 'text') {
		events[events.length - 1] = ['text', last[1] + event[1]];
	} else {
		events.push(event);
	}
}

/** sax's events as the codec sets it up, or undefined if sax reports any error (or throws). */
function saxEvents(xml: string): Event[] | undefined {
	const events: Event[] = [];
	let failed = false;
	const parser = sax.parser(true, {position: false, strictEntities: true} as sax.SAXOptions);
	parser.onopentag = tag => push(events, ['open', tag.name]);
	parser.onclosetag = name => push(events, ['close', name]);
	parser.ontext = text => push(events, ['text', text]);
	parser.oncdata = text => push(events, ['text', `<![CDATA[${text}`]);
	parser.onerror = () => {
		failed = true;
		(parser as unknown as {error: null}).error = null;
	};
	try {
		parser.write(xml).close();
	} catch {
		failed = true;
	}

	return failed ? undefined : events;
}

function scanEvents(xml: string): Event[] | undefined {
	const events: Event[] = [];
	const accepted = scanXml(xml, {
		open: name => push(events, ['open', name]),
		close: name => push(events, ['close', name]),
		text: text => push(events, ['text', text]),
	});
	return accepted ? events : undefined;
}

/** Accepted documents must read the same through sax; `mustAccept` for the shapes we send. */
function expectAgreement(xml: string, mustAccept: boolean): void {
	const fast = scanEvents(xml);
	if (mustAccept) {
		expect(fast, `declined: ${xml.slice(0, 200)}`).toBeDefined();
	}

	if (fast !== undefined) {
		expect(fast).toEqual(saxEvents(xml));
	}
}

const text = fc.string({unit: 'binary', maxLength: 40});
const value: fc.Arbitrary<XmlRpcValue> = fc.letrec<{value: XmlRpcValue}>(tie => ({
	value: fc.oneof(
		{depthSize: 'small', withCrossShrink: true},
		text,
		fc.integer(),
		fc.bigInt({min: -(2n ** 63n), max: 2n ** 63n - 1n}),
		fc.boolean(),
		fc.double({noNaN: true, noDefaultInfinity: true}),
		fc.constant(null),
		fc.uint8Array({maxLength: 64}).map(bytes => Buffer.from(bytes)),
		fc.date({min: new Date(0), max: new Date(253_402_300_799_000), noInvalidDate: true}),
		fc.array(tie('value'), {maxLength: 4}),
		fc.dictionary(text, tie('value'), {maxKeys: 4}).map(entries => Object.assign(Object.create(null) as Record<string, XmlRpcValue>, entries)),
	),
})).value;

describe('scanXml', () => {
	it('reads what our encoder writes exactly as sax does', () => {
		fc.assert(
			fc.property(fc.array(value, {maxLength: 3}), value, text, (params, result, message) => {
				expectAgreement(encodeCall('va.method', params).toString('utf8'), true);
				expectAgreement(encodeResponse(result).toString('utf8'), true);
				expectAgreement(encodeFault({code: -500, message}).toString('utf8'), true);
			}),
			{numRuns: 300},
		);
	});

	// The package writes strings holding & or < as CDATA, which the scanner leaves to sax.
	it('reads what the xmlrpc package writes exactly as sax does', () => {
		const printable = fc.string({maxLength: 40}).filter(s => !/[\0-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]/.test(s));
		fc.assert(
			fc.property(fc.array(fc.oneof(printable, fc.integer(), fc.boolean(), fc.array(printable, {maxLength: 3})), {maxLength: 3}), params => {
				for (const xml of [serializer.serializeMethodCall('va.method', params), serializer.serializeMethodResponse(params)]) {
					expectAgreement(xml, !xml.includes('<![CDATA['));
				}
			}),
			{numRuns: 200},
		);
	});

	it("reads what Python's xmlrpc.client writes exactly as sax does", () => {
		const script = String.raw`
import json, sys, datetime, xmlrpc.client as x
values = ["dummy", "", "a\r\nb & <c> \"q\" 'a'", "\u00e9\u4e2d\U0001F600", 0, -7, 2**31 - 1, True, False, 1.5, -0.0, None,
          b"\x00\xff bytes", datetime.datetime(2024, 2, 29, 23, 59, 59), [1, ["x", {}]], {"__proto__": 1, "a b": [None]}]
docs = [x.dumps((v,), methodresponse=True, allow_none=True) for v in values]
docs += [x.dumps(tuple(values), methodname="va.ping", allow_none=True), x.dumps(x.Fault(-506, "Method 'x' not defined"), methodresponse=True)]
docs += [x.dumps((), methodname="system.listMethods")]
json.dump(docs, sys.stdout)
`;
		const run = spawnSync('python3', ['-c', script], {encoding: 'utf8'});
		expect(run.status, run.stderr).toBe(0);
		const documents = JSON.parse(run.stdout) as string[];
		expect(documents.length).toBeGreaterThan(10);
		for (const xml of documents) {
			expectAgreement(xml, true);
		}
	});

	it('never disagrees with sax on random near-XML (it may decline)', () => {
		// Mostly what the scanner accepts, some of what it must decline.
		const textPiece = fc.oneof(
			{
				weight: 6,
				arbitrary: fc.constantFrom(
					' ',
					'\n',
					'\r\n',
					'\t',
					'x',
					'>',
					']]>',
					'"',
					"'",
					'/',
					'\u0001',
					'\u00e9',
					'\ud83d\ude00',
					'\ufeff',
					'&amp;',
					'&lt;',
					'&gt;',
					'&quot;',
					'&apos;',
					'&#65;',
					'&#x41;',
					'&#xD;',
					'&#xd;',
					'&#1114111;',
				),
			},
			{
				weight: 1,
				arbitrary: fc.constantFrom('&#0;', '&#x0;', '&#xFFFFFFFF;', '&#x110000;', '&#xdFFF;', '&#00065;', '&#x041;', '&#X41;', '&AMP;', '&nbsp;', '&', ';'),
			},
		);
		const tagName = fc.oneof(
			{weight: 8, arbitrary: fc.constantFrom('a', 'value', 'dateTime.iso8601', 'A', '_x-1')},
			{weight: 1, arbitrary: fc.constantFrom('a:b', '1', 'é')},
		);
		const element: fc.Arbitrary<string> = fc.letrec<{element: string}>(tie => ({
			element: fc
				.tuple(
					tagName,
					fc.array(
						fc.oneof(
							{depthSize: 'small'},
							fc.array(textPiece, {maxLength: 3}).map(parts => parts.join('')),
							tie('element'),
						),
						{maxLength: 4},
					),
					fc.boolean(),
				)
				.map(([name, children, short]) => (children.length === 0 && short ? `<${name}/>` : `<${name}>${children.join('')}</${name}>`)),
		})).element;
		const junk = fc.constantFrom(
			'<',
			'>',
			'</a>',
			'<a>',
			'<a/>',
			'<!-- c -->',
			'<![CDATA[x]]>',
			'<?pi x?>',
			'<a b="1">',
			'<a >',
			'</a >',
			' ',
			'x',
			'&',
			'<!DOCTYPE a>',
		);
		const prolog = fc.constantFrom(
			'',
			'<?xml version="1.0"?>',
			'<?xml version="1.0" encoding="UTF-8"?>',
			"<?xml version='1.0' standalone='yes' ?>",
			'<?xml version="1.0"?>\n',
			' ',
			'\ufeff',
		);
		const document = fc
			.tuple(prolog, element, fc.constantFrom('', '\n', ' x'), fc.option(fc.tuple(junk, fc.nat()), {freq: 3}))
			.map(([head, body, tail, mutation]) => {
				const xml = head + body + tail;
				if (mutation === null) {
					return xml;
				}

				const at = mutation[1] % (xml.length + 1);
				return xml.slice(0, at) + mutation[0] + xml.slice(at);
			});
		let accepted = 0;
		fc.assert(
			fc.property(document, xml => {
				expectAgreement(xml, false);
				accepted += scanEvents(xml) === undefined ? 0 : 1;
			}),
			{numRuns: 3000},
		);
		// Enough accepted documents for the agreement to mean something.
		expect(accepted).toBeGreaterThan(100);
	});

	it('takes a 2 MB base64 text node in one piece', () => {
		const bytes = Buffer.alloc(1_500_000, 7);
		const events = scanEvents(encodeResponse(bytes).toString('utf8'));
		expect(events?.find(event => event[0] === 'text')?.[1]).toBe(bytes.toString('base64'));
	});

	it('declines what sax would refuse or read differently', () => {
		for (const xml of [
			'',
			' <a/>',
			'\ufeff<a/>',
			'<a>x</b>',
			'<a>',
			'<a/><b/>',
			'<a/>x',
			'<a b="1"/>',
			'<a><!-- c --></a>',
			'<a><![CDATA[x]]></a>',
			'<a>&nbsp;</a>',
			'<a>&#xFFFFFFFF;</a>',
			'<a>&#0;</a>',
			'<?xml version="2.0"?><a/>',
			'<!DOCTYPE a><a/>',
		]) {
			expect(scanEvents(xml), JSON.stringify(xml)).toBeUndefined();
		}
	});
});

// From the mutation run (docs/mutation.md): a scanner that declines more than it should still
// decodes correctly (sax reads it), so only these direct checks see it lose its fast path.
describe('scanXml at the edges of what it takes', () => {
	const wrapped = (inner: string) => `<a>${inner}</a>`;

	it("takes every character reference at the edges of XML's Char ranges, in hex and decimal, as sax reads them", () => {
		const edges = [0x9, 0xa, 0xd, 0x20, 0xd7ff, 0xe000, 0xfffd, 0x1_0000, 0x10_ffff];
		for (const code of edges) {
			for (const reference of [`&#x${code.toString(16)};`, `&#x${code.toString(16).toUpperCase()};`, `&#${code};`]) {
				const xml = wrapped(`x${reference}y`);
				expect(scanEvents(xml), reference).toEqual([
					['open', 'a'],
					['text', `x${String.fromCodePoint(code)}y`],
					['close', 'a'],
				]);
				expect(scanEvents(xml)).toEqual(saxEvents(xml));
			}
		}
	});

	it('declines references outside those ranges, with leading zeros, or too long; and unknown names', () => {
		for (const code of [0x0, 0x8, 0xb, 0x1f, 0xd800, 0xdfff, 0xfffe, 0xffff, 0x11_0000]) {
			expect(scanEvents(wrapped(`&#x${code.toString(16)};`)), code.toString(16)).toBeUndefined();
			expect(scanEvents(wrapped(`&#${code};`)), String(code)).toBeUndefined();
		}

		for (const reference of [
			'&#x09;',
			'&#09;',
			'&#x;',
			'&#;',
			'&#x1234567;',
			'&#12345678;',
			'&abcdefghi;',
			'&amp',
			'&;',
			'&#xg;',
			'&#x41zz;',
			'&#65zz;',
			'&#x41#x41;',
			'&#65#65;',
		]) {
			expect(scanEvents(wrapped(reference)), reference).toBeUndefined();
		}
	});

	it('decodes the five predefined entities, several in one text, and text around them', () => {
		const xml = wrapped('1&amp;2&lt;3&gt;4&quot;5&apos;6 &amp;&amp; x>y');
		expect(scanEvents(xml)).toEqual([
			['open', 'a'],
			['text', `1&2<3>4"5'6 && x>y`],
			['close', 'a'],
		]);
		expect(scanEvents(xml)).toEqual(saxEvents(xml));
	});

	it('takes the declarations peers write, and whitespace after the root; declines anything else before it', () => {
		for (const declaration of [
			'<?xml version="1.0"?>',
			"<?xml version='1.0'?>",
			'<?xml version = "1.1" ?>',
			'<?xml version="1.0" encoding="UTF-8"?>',
			"<?xml version='1.0' encoding='iso-8859-1' standalone='yes'?>",
			'<?xml version="1.0" standalone="no"?>',
			'<?xml\tversion="1.0"\nencoding="utf_8"?>',
		]) {
			const xml = `${declaration}\n<a><b/>t</a>\r\n`;
			expect(scanEvents(xml), declaration).toEqual([
				['text', '\n'],
				['open', 'a'],
				['open', 'b'],
				['close', 'b'],
				['text', 't'],
				['close', 'a'],
				['text', '\r\n'],
			]);
			expect(scanEvents(xml)).toEqual(saxEvents(xml));
		}

		for (const xml of [
			'<?xml version="1.0" foo="x"?><a/>',
			'<?xml version="1.0\'?><a/>',
			'<?xml encoding="UTF-8"?><a/>',
			'<?xml version="1.0" encoding="8bit"?><a/>',
			'<?xml version="1.0" standalone="maybe"?><a/>',
			'<?xml-stylesheet href="x"?><a/>',
			'<?xml version="1.0"?>x<a/>',
			'<a/> x',
			'<a/><!-- c -->',
			'<a />',
			'<a',
			'<a></a',
			'<1a/>',
			'<a:b/>',
		]) {
			expect(scanEvents(xml), xml).toBeUndefined();
		}
	});

	it('takes names with digits, dots, dashes and underscores, and an element closed right after its text', () => {
		const xml = '<_a.b-c9><D_1>x</D_1><e/></_a.b-c9>';
		expect(scanEvents(xml)).toEqual([
			['open', '_a.b-c9'],
			['open', 'D_1'],
			['text', 'x'],
			['close', 'D_1'],
			['open', 'e'],
			['close', 'e'],
			['close', '_a.b-c9'],
		]);
		expect(scanEvents(xml)).toEqual(saxEvents(xml));
	});
});
