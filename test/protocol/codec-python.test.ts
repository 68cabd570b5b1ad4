/**
 * Interoperability with an independent XML-RPC implementation: Python 3's xmlrpc.client.
 * Values cross the process boundary as tagged JSON (bytes in base64, dates as ISO strings);
 * each direction is one python3 run over a batch of jobs.
 */
import {spawnSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {beforeAll, describe, expect, it} from 'vitest';
import {decodeCall, decodeResponse, encodeCall, encodeFault, encodeResponse, sanitizeXmlString} from '../../src/protocol/codec.js';
import type {Fault, XmlRpcValue} from '../../src/protocol/value.js';

const PYTHON = `
import base64, datetime, json, sys, xmlrpc.client as x

def build(d):
    t, v = d['t'], d.get('v')
    if t == 'str': return v
    if t == 'int': return int(v)
    if t == 'bool': return v
    if t == 'double': return float(v)
    if t == 'bytes': return base64.b64decode(v)
    if t == 'date': return datetime.datetime.strptime(v, '%Y-%m-%dT%H:%M:%S')
    if t == 'nil': return None
    if t == 'array': return [build(e) for e in v]
    if t == 'struct': return {k: build(e) for k, e in v}
    raise ValueError(t)

def describe(v):
    if v is None: return {'t': 'nil'}
    if isinstance(v, bool): return {'t': 'bool', 'v': v}
    if isinstance(v, int): return {'t': 'int', 'v': str(v)}
    if isinstance(v, float): return {'t': 'double', 'v': repr(v)}
    if isinstance(v, str): return {'t': 'str', 'v': v}
    if isinstance(v, (bytes, bytearray)): return {'t': 'bytes', 'v': base64.b64encode(v).decode()}
    if isinstance(v, datetime.datetime): return {'t': 'date', 'v': v.isoformat(timespec='seconds')}
    if isinstance(v, list): return {'t': 'array', 'v': [describe(e) for e in v]}
    if isinstance(v, dict): return {'t': 'struct', 'v': sorted([k, describe(e)] for k, e in v.items())}
    raise TypeError(type(v))

out = []
for job in json.load(sys.stdin):
    if job['op'] == 'dumps':
        if job['kind'] == 'call':
            xml = x.dumps(tuple(build(p) for p in job['params']), methodname=job['method'], allow_none=True)
        elif job['kind'] == 'response':
            xml = x.dumps((build(job['value']),), methodresponse=True, allow_none=True)
        else:
            xml = x.dumps(x.Fault(job['code'], job['message']), methodresponse=True)
        out.append({'xml': base64.b64encode(xml.encode('utf-8')).decode()})
    else:
        try:
            params, method = x.loads(base64.b64decode(job['xml']), use_builtin_types=True)
            out.append({'method': method, 'params': [describe(p) for p in params]})
        except x.Fault as f:
            out.append({'fault': {'code': f.faultCode, 'message': f.faultString}})
        except Exception as e:
            out.append({'error': repr(e)})
json.dump(out, sys.stdout)
`;

type Described =
	| {readonly t: 'str'; readonly v: string}
	| {readonly t: 'int'; readonly v: string}
	| {readonly t: 'bool'; readonly v: boolean}
	| {readonly t: 'double'; readonly v: string}
	| {readonly t: 'bytes'; readonly v: string}
	| {readonly t: 'date'; readonly v: string}
	| {readonly t: 'nil'}
	| {readonly t: 'array'; readonly v: readonly Described[]}
	| {readonly t: 'struct'; readonly v: readonly (readonly [string, Described])[]};

type Job =
	| {readonly op: 'dumps'; readonly kind: 'call'; readonly method: string; readonly params: readonly Described[]}
	| {readonly op: 'dumps'; readonly kind: 'response'; readonly value: Described}
	| {readonly op: 'dumps'; readonly kind: 'fault'; readonly code: number; readonly message: string}
	| {readonly op: 'loads'; readonly xml: string};

type LoadResult = {
	readonly method?: string | null;
	readonly params?: readonly Described[];
	readonly fault?: {readonly code: number; readonly message: string};
	readonly error?: string;
};

// Deep equality walks a Buffer byte by byte (seconds for 1.5 MB); compare Buffers at once.
expect.addEqualityTesters([(a, b) => (Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : undefined)]);

const python = spawnSync('python3', ['--version'], {encoding: 'utf8'});
const hasPython = python.error === undefined && python.status === 0;
if (!hasPython) {
	console.warn('codec-python: python3 not found on PATH; skipping the interoperability tests');
}

function runPython<T>(jobs: readonly Job[]): T[] {
	const result = spawnSync('python3', ['-c', PYTHON], {input: JSON.stringify(jobs), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024});
	if (result.status !== 0) {
		throw new Error(`python3 failed: ${result.stderr}`);
	}
	return JSON.parse(result.stdout) as T[];
}

/** Our value as Python should see it (our encoding rules: integral numbers are ints below 2^53). */
function tagged(value: XmlRpcValue): Described {
	if (value === null) {
		return {t: 'nil'};
	}
	switch (typeof value) {
		case 'string':
			return {t: 'str', v: sanitizeXmlString(value)};
		case 'boolean':
			return {t: 'bool', v: value};
		case 'bigint':
			return {t: 'int', v: String(value)};
		case 'number':
			return Number.isSafeInteger(value) ? {t: 'int', v: String(value + 0)} : {t: 'double', v: String(value)};
	}
	if (Buffer.isBuffer(value)) {
		return {t: 'bytes', v: value.toString('base64')};
	}
	if (value instanceof Date) {
		return {t: 'date', v: value.toISOString().slice(0, 19)};
	}
	if (Array.isArray(value)) {
		return {t: 'array', v: value.map((v: XmlRpcValue) => tagged(v))};
	}
	const entries = Object.entries(value).map(([k, v]) => [sanitizeXmlString(k), tagged(v)] as const);
	return {t: 'struct', v: entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))};
}

/** Python writes doubles with repr(): compare them as numbers. */
function normalize(d: Described): Described {
	switch (d.t) {
		case 'double':
			return {t: 'double', v: String(Number(d.v))};
		case 'array':
			return {t: 'array', v: d.v.map(normalize)};
		case 'struct':
			return {t: 'struct', v: d.v.map(([k, v]) => [k, normalize(v)] as const)};
		default:
			return d;
	}
}

/** The JavaScript value a description stands for, as our decoder builds it. */
function build(d: Described): XmlRpcValue {
	switch (d.t) {
		case 'int': {
			const n = Number(d.v);
			return Number.isSafeInteger(n) ? n : BigInt(d.v);
		}
		case 'double':
			return Number(d.v);
		case 'bytes':
			return Buffer.from(d.v, 'base64');
		case 'date':
			return new Date(`${d.v}Z`);
		case 'nil':
			return null;
		case 'array':
			return d.v.map(build);
		case 'struct':
			return Object.assign(Object.create(null) as Record<string, XmlRpcValue>, Object.fromEntries(d.v.map(([k, v]) => [k, build(v)])));
		default:
			return d.v;
	}
}

// Every §3 type that Python can write; Python refuses ints beyond i4 (OverflowError), so i8 only
// goes from us to Python here (Python's reading of <int>/<i8> beyond i4 is in the other list).
const allBytes = Buffer.from(Array.from({length: 256}, (_, i) => i));
const big = randomBytes(1.5 * 1024 * 1024);
const common: readonly (readonly [string, XmlRpcValue])[] = [
	['string', 'hello'],
	['empty string', ''],
	['non-ASCII string', 'héllo wörld ✓ 日本語 😀 Ελληνικά'],
	['markup characters', 'a<b&c>d]]>e'],
	['TAB and LF', 'tab\there\nnext line'],
	['int', 42],
	['negative int', -7],
	['i4 max', 0x7fff_ffff],
	['i4 min', -0x8000_0000],
	['true', true],
	['false', false],
	['double', 1.5],
	['small double', 1e-7],
	['large double', -1.5e300],
	['pi', Math.PI],
	['empty base64', Buffer.alloc(0)],
	['every byte value', allBytes],
	['1.5 MB base64', big],
	['dateTime', new Date(Date.UTC(2024, 0, 2, 3, 4, 5))],
	['dateTime 1999', new Date(Date.UTC(1999, 11, 31, 23, 59, 59))],
	['nil', null],
	['empty array', []],
	['empty struct', {}],
	['nested', [1, 'two', [3.5, [null, true]], {a: {b: [Buffer.from('x'), {c: 'deep'}]}, 'spaced key <&>': -1, ключ: 'значение'}]],
	['__proto__ key', JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as XmlRpcValue],
];
const oursOnly: readonly (readonly [string, XmlRpcValue])[] = [
	['i8 just beyond i4', 0x8000_0000],
	['i8 negative', -0x8000_0001],
	['i8 2^53+1 (bigint)', 2n ** 53n + 1n],
	['i8 max', 2n ** 63n - 1n],
	['i8 min', -(2n ** 63n)],
	['integral double beyond 2^53', 2 ** 60],
	['CR (escaped, so Python keeps it)', 'line\r\nend\r'],
	['control characters (replaced)', '\x1b[31mred\x1b[0m\x07\0'],
	['lone surrogate (replaced)', 'a\ud800b'],
];
const fault: Fault = {code: -506, message: 'Method not found: guest.nope <&> ✓'};

describe.skipIf(!hasPython)('interoperability with Python xmlrpc.client', () => {
	// Everything Python encodes, made in one python3 run.
	let fromPython: {readonly xml: string}[];
	const dumpJobs: Job[] = [
		...common.map(([, value]): Job => ({op: 'dumps', kind: 'response', value: tagged(value)})),
		{op: 'dumps', kind: 'call', method: 'guest.file_write', params: [tagged('/tmp/x'), tagged(big), tagged({mode: 0o644, append: false})]},
		{op: 'dumps', kind: 'call', method: 'guest.ping', params: []},
		{op: 'dumps', kind: 'fault', code: fault.code, message: fault.message},
		{op: 'dumps', kind: 'response', value: {t: 'double', v: '2.0'}},
		{op: 'dumps', kind: 'response', value: {t: 'str', v: 'cr\rlf'}},
	];
	beforeAll(() => {
		fromPython = runPython(dumpJobs);
	});
	const pythonXml = (i: number) => Buffer.from(fromPython[i]!.xml, 'base64');

	describe('we decode what Python encodes', () => {
		it.each(common.map(([name, value], i) => [name, value, i] as const))('methodResponse: %s', async (_name, value, i) => {
			expect(await decodeResponse(pythonXml(i))).toEqual({ok: true, value: build(tagged(value))});
		});

		it('methodCall with a method name and params, incl. 1.5 MB of base64', async () => {
			const decoded = await decodeCall(pythonXml(common.length));
			expect(decoded.method).toBe('guest.file_write');
			expect(decoded.params).toEqual(['/tmp/x', big, build(tagged({mode: 0o644, append: false}))]);
		});

		it('methodCall without params', async () => {
			expect(await decodeCall(pythonXml(common.length + 1))).toEqual({method: 'guest.ping', params: []});
		});

		it('Fault', async () => {
			expect(await decodeResponse(pythonXml(common.length + 2))).toEqual({ok: false, fault});
		});

		it('an integral double (2.0) becomes the number 2 (JavaScript has one number type)', async () => {
			expect(await decodeResponse(pythonXml(common.length + 3))).toEqual({ok: true, value: 2});
		});

		it('a raw CR that Python writes unescaped is kept (Python itself would read LF)', async () => {
			expect(await decodeResponse(pythonXml(common.length + 4))).toEqual({ok: true, value: 'cr\rlf'});
		});
	});

	describe('Python decodes what we encode', () => {
		let results: LoadResult[];
		const all = [...common, ...oursOnly];
		beforeAll(() => {
			results = runPython<LoadResult>([
				...all.map(([, value]): Job => ({op: 'loads', xml: encodeResponse(value).toString('base64')})),
				{op: 'loads', xml: encodeCall('guest.file_write', ['/tmp/x', big, {mode: 0o644, append: false}]).toString('base64')},
				{op: 'loads', xml: encodeCall('guest.ping', [null]).toString('base64')},
				{op: 'loads', xml: encodeCall('guest.ping', []).toString('base64')},
				{op: 'loads', xml: encodeFault(fault).toString('base64')},
				{op: 'loads', xml: encodeFault({code: -500, message: 'dmesg \x1b[1mbold'}).toString('base64')},
				{op: 'loads', xml: encodeCall('bad\x1bname', []).toString('base64')},
			]);
		});

		it.each(all.map(([name, value], i) => [name, value, i] as const))('methodResponse: %s', (_name, value, i) => {
			const result = results[i]!;
			expect(result.error).toBeUndefined();
			expect(result.method).toBeNull();
			expect(result.params!.map(normalize)).toEqual([tagged(value)]);
		});

		it('methodCall with a method name and params, incl. 1.5 MB of base64', () => {
			const result = results[all.length]!;
			expect(result.method).toBe('guest.file_write');
			expect(result.params).toEqual([tagged('/tmp/x'), tagged(big), tagged({mode: 0o644, append: false})]);
		});

		it('the ping call (one nil param) and a call without params', () => {
			expect(results[all.length + 1]).toEqual({method: 'guest.ping', params: [{t: 'nil'}]});
			expect(results[all.length + 2]).toEqual({method: 'guest.ping', params: []});
		});

		it('faults, control characters replaced', () => {
			expect(results[all.length + 3]).toEqual({fault});
			expect(results[all.length + 4]).toEqual({fault: {code: -500, message: 'dmesg \ufffd[1mbold'}});
		});

		it('a method name with a control character', () => {
			expect(results[all.length + 5]).toEqual({method: 'bad\ufffdname', params: []});
		});
	});
});
