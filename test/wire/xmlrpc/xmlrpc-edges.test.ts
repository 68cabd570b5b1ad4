/**
 * virtagent's own message layer (src/wire/xmlrpc) at its edges (issue #10, mutation round 3):
 * what the reader makes of each frame (tags, unreadable bodies, framing errors, stalls), what
 * the writer puts on the wire (exact bytes, the size guards at N/N+1, answers that never throw),
 * and the protocol's limits and keys. Round trips go over a real socket pair.
 */
import {afterEach, describe, expect, it, vi} from 'vitest';
import {encodeCall, encodeFault, encodeResponse} from '../../../src/protocol/codec.js';
import {encodeFrame} from '../../../src/protocol/frame-encoder.js';
import {defaultFrameLimits} from '../../../src/protocol/limits.js';
import {isValidTag} from '../../../src/protocol/frame.js';
import {XmlRpcProtocol, xmlRpcProtocol} from '../../../src/wire/xmlrpc/index.js';
import {XmlRpcReader} from '../../../src/wire/xmlrpc/reader.js';
import {XmlRpcWriter} from '../../../src/wire/xmlrpc/writer.js';
import type {ReaderEvent} from '../../../src/wire/types.js';
import {socketPair} from '../../helpers/socket-pair.js';

const limits = {...defaultFrameLimits, bodyMax: 4096};
const call = encodeCall('va.ping', [1]);
const faultXml = (code: number, message: string) => encodeFault({code, message}).toString();

afterEach(() => {
	vi.useRealTimers();
});

describe('the XML-RPC reader', () => {
	it('makes each frame a message: its key (none when untagged), its method or outcome, its body', () => {
		const reader = new XmlRpcReader(limits);
		const response = encodeResponse('pong');
		const fault = encodeFault({code: -506, message: 'no such method'});
		const stream = Buffer.concat([
			encodeFrame('request', 'a.1', call),
			encodeFrame('request', undefined, call),
			encodeFrame('response', 'a.2', response),
			encodeFrame('response', 'none', fault),
		]);
		expect(reader.push(stream)).toEqual([
			{type: 'message', message: {kind: 'request', key: 'a.1', method: 'va.ping', params: [1], raw: call}},
			{type: 'message', message: {kind: 'request', key: undefined, method: 'va.ping', params: [1], raw: call}},
			{type: 'message', message: {kind: 'response', key: 'a.2', outcome: {ok: true, value: 'pong'}, raw: response}},
			{type: 'message', message: {kind: 'response', key: undefined, outcome: {ok: false, fault: {code: -506, message: 'no such method'}}, raw: fault}},
		]);
	});

	it('a body that does not decode is still a message, with the fault code and reason to answer', () => {
		const reader = new XmlRpcReader(limits);
		const junk = Buffer.from('<methodResponse><params/></methodResponse>');
		const deep = Buffer.from(
			`<methodCall><methodName>x</methodName><params><param>${'<value><array><data>'.repeat(65)}${'</data></array></value>'.repeat(65)}</param></params></methodCall>`,
		);
		const events = reader.push(
			Buffer.concat([
				encodeFrame('request', 't.1', junk),
				encodeFrame('request', 't.2', deep),
				encodeFrame('response', 't.3', call),
				encodeFrame('response', 'none', junk),
			]),
		);
		expect(events).toEqual([
			{
				type: 'message',
				message: {kind: 'unreadable-request', key: 't.1', fault: {code: -503, message: 'Malformed XML-RPC body: Not a method call'}, raw: junk},
			},
			{type: 'message', message: {kind: 'unreadable-request', key: 't.2', fault: {code: -501, message: expect.stringContaining('64') as string}, raw: deep}},
			{type: 'message', message: {kind: 'unreadable-response', key: 't.3', reason: 'Malformed XML-RPC body: Not a method response', raw: call}},
			{
				type: 'message',
				message: {kind: 'unreadable-response', key: undefined, reason: 'Malformed XML-RPC body: A method response must carry exactly one value', raw: junk},
			},
		]);
	});

	it('passes framing errors and skipped bytes on, and end() reports a cut-off frame', () => {
		const reader = new XmlRpcReader(limits);
		const frame = encodeFrame('request', 'k.1', call);
		expect(reader.push(Buffer.concat([Buffer.from('junk'), Buffer.from('\xffGET / HTTP/1.1\r\n\r\n', 'latin1'), frame.subarray(0, 30)]))).toEqual([
			{type: 'skipped', bytes: 4},
			{type: 'error', code: 'BAD_START_LINE', message: expect.any(String) as string},
		]);
		expect(reader.end()).toEqual([{type: 'error', code: 'TRUNCATED_HEADER', message: 'TRUNCATED_HEADER: stream ended after 29 header bytes'}]);
		expect(reader.push(frame)).toMatchObject([{type: 'message', message: {kind: 'request', key: 'k.1'}}]);
		expect(reader.end()).toEqual([]);
	});

	it('gives the stall deadline of a started frame and drops it when asked after that time', () => {
		vi.useFakeTimers({toFake: ['Date'], now: 50_000});
		const reader = new XmlRpcReader({...limits, headerStallMs: 300, bodyStallMs: 200});
		expect(reader.stallDeadline).toBeUndefined();
		expect(reader.checkStall()).toEqual([]);
		const frame = encodeFrame('request', 'k.1', call);
		const headerEnd = frame.indexOf('\r\n\r\n') + 4;
		reader.push(frame.subarray(0, 10));
		expect(reader.stallDeadline).toBe(50_300);
		reader.push(frame.subarray(10, headerEnd + 5));
		expect(reader.stallDeadline).toBe(50_200);
		vi.setSystemTime(50_199);
		expect(reader.checkStall()).toEqual([]);
		vi.setSystemTime(50_200);
		expect(reader.checkStall()).toEqual([
			{type: 'error', code: 'STALLED_FRAME', message: `STALLED_FRAME: no body bytes for 200 ms (5 of ${call.length} received)`},
		]);
		expect(reader.stallDeadline).toBeUndefined();
	});

	it('reset() drops a partial frame and keeps the limits', () => {
		const reader = new XmlRpcReader({...limits, headerMax: 64});
		const frame = encodeFrame('request', 'k.1', call);
		reader.push(frame.subarray(0, frame.length - 3));
		reader.reset();
		expect(reader.end()).toEqual([]);
		expect(reader.push(Buffer.concat([Buffer.from('\xffPOST /RPC2 HTTP/1.1\r\n', 'latin1'), Buffer.alloc(60, 0x61)]))).toEqual([
			{type: 'error', code: 'HEADER_TOO_LONG', message: 'HEADER_TOO_LONG: no CRLFCRLF within 64 bytes'},
			{type: 'skipped', bytes: 17},
		]);
		const body = encodeResponse(1);
		expect(reader.push(Buffer.concat([Buffer.from(`\xffHTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]))).toEqual([
			{type: 'message', message: {kind: 'response', key: undefined, outcome: {ok: true, value: 1}, raw: body}},
		]);
	});
});

describe('the XML-RPC writer', () => {
	it('writes a request frame with its tag', () => {
		const {bytes, body} = new XmlRpcWriter(4096).request('ab.7', 'va.ping', [1]);
		expect(body).toEqual(call);
		expect(bytes).toEqual(encodeFrame('request', 'ab.7', call));
		expect(bytes.toString('latin1')).toContain('X-Virtagent-Client-Tag: ab.7\r\n\r\n');
	});

	it('counts a body in UTF-8 bytes, not characters: its Content-Length, its size guard, the frame read back', () => {
		const text = 'é✓😀\u2028';
		const body = encodeResponse(text);
		expect(body.length).toBeGreaterThan(body.toString().length);
		const writer = new XmlRpcWriter(body.length);
		const answer = writer.response('k.2', {ok: true, value: text});
		expect(answer.ok).toBe(true);
		expect(answer.bytes).toEqual(encodeFrame('response', 'k.2', body));
		expect(answer.body).toEqual(body);
		expect(new XmlRpcReader(limits).push(answer.bytes)).toEqual([
			{type: 'message', message: {kind: 'response', key: 'k.2', outcome: {ok: true, value: text}, raw: body}},
		]);
		expect(new XmlRpcWriter(body.length - 1).response('k.2', {ok: true, value: text}).ok).toBe(false);
		const request = new XmlRpcWriter(4096).request('k.3', 'm', [text]);
		expect(request.bytes).toEqual(encodeFrame('request', 'k.3', encodeCall('m', [text])));
	});

	it('remembers the last call without parameters and the last string answer, and never sends one for another', () => {
		const writer = new XmlRpcWriter(4096);
		const request = (key: string, method: string, params: string[]) =>
			expect(writer.request(key, method, params).bytes).toEqual(encodeFrame('request', key, encodeCall(method, params)));
		request('k.1', 'va.ping', []);
		request('k.2', 'va.ping', []);
		request('k.3', 'va.ping', ['x']);
		request('k.4', 'va.pong', []);
		request('k.5', 'va.ping', []);
		const long = 'y'.repeat(300);
		for (const value of ['dummy', 'dummy', 'dummx', '', '', long, long, 'dummy']) {
			expect(fields(writer.response('k.6', {ok: true, value}))).toEqual({
				bytes: encodeFrame('response', 'k.6', encodeResponse(value)),
				body: encodeResponse(value),
				ok: true,
			});
		}

		expect(fields(writer.response('k.7', {ok: true, value: ['dummy']})).body).toEqual(encodeResponse(['dummy']));
		// The size guard holds for a remembered body too.
		const small = new XmlRpcWriter(encodeResponse('dummy').length - 1);
		expect(small.response('k.8', {ok: true, value: 'dummy'}).ok).toBe(false);
		expect(small.response('k.9', {ok: true, value: 'dummy'}).ok).toBe(false);
		const tight = new XmlRpcWriter(encodeCall('va.ping', []).length - 1);
		expect(() => tight.request('k.10', 'va.ping', [])).toThrow(/too large/u);
		expect(() => tight.request('k.11', 'va.ping', [])).toThrow(/too large/u);
	});

	it('takes a request of exactly bodyMax bytes, refuses one more, and names what it cannot encode', () => {
		const length = encodeCall('m', ['x']).length;
		const writer = new XmlRpcWriter(length + 5);
		expect(writer.request('k', 'm', ['x'.repeat(6)]).body).toHaveLength(length + 5);
		expect(() => writer.request('k', 'm', ['x'.repeat(7)])).toThrow(new Error(`m request too large: ${length + 6} bytes (limit ${length + 5})`));
		expect(() => writer.request('k', 'm', [Number.NaN])).toThrow(/^cannot encode m: XML-RPC cannot encode NaN/u);
		expect(() => writer.request('k', '', [])).toThrow(new Error('cannot encode : XML-RPC cannot encode a call without a method name'));
	});

	it('answers a value, or a fault, with ok saying which', () => {
		const writer = new XmlRpcWriter(4096);
		expect(fields(writer.response('k.1', {ok: true, value: 'pong'}))).toEqual({
			bytes: encodeFrame('response', 'k.1', encodeResponse('pong')),
			body: encodeResponse('pong'),
			ok: true,
		});
		expect(fields(writer.response(undefined, {ok: false, fault: {code: -506, message: 'nope'}}))).toEqual({
			bytes: encodeFrame('response', 'none', encodeFault({code: -506, message: 'nope'})),
			body: encodeFault({code: -506, message: 'nope'}),
			ok: false,
		});
	});

	it('the result-size guard: a result of exactly bodyMax goes out, one byte more is a fault', () => {
		const length = encodeResponse('x').length;
		const writer = new XmlRpcWriter(length + 8);
		expect(fields(writer.response('k', {ok: true, value: 'x'.repeat(9)}))).toEqual({
			ok: true,
			body: encodeResponse('x'.repeat(9)),
			bytes: encodeFrame('response', 'k', encodeResponse('x'.repeat(9))),
		});
		const over = writer.response('k', {ok: true, value: 'x'.repeat(10)});
		expect(over.ok).toBe(false);
		expect(over.body.toString()).toBe(faultXml(-500, `result too large: ${length + 9} bytes (limit ${length + 8})`));
	});

	it('a result it cannot encode, or a fault code XML-RPC cannot carry, still answers -500', () => {
		const writer = new XmlRpcWriter(4096);
		const bad = writer.response('k', {ok: true, value: [Number.POSITIVE_INFINITY]});
		expect(bad.ok).toBe(false);
		expect(bad.body.toString()).toBe(
			faultXml(-500, 'cannot encode the result: XML-RPC cannot encode Infinity (XML-RPC has no representation for NaN or Infinity) at value[0]'),
		);
		for (const code of [2 ** 31, 1.5, Number.NaN]) {
			expect(writer.response('k', {ok: false, fault: {code, message: 'odd code'}}).body.toString()).toBe(faultXml(-500, 'odd code'));
		}

		expect(writer.response('k', {ok: false, fault: {code: -(2 ** 31), message: 'i4'}}).body.toString()).toBe(faultXml(-(2 ** 31), 'i4'));
	});

	it('a tag it cannot write back is answered untagged rather than thrown', () => {
		const writer = new XmlRpcWriter(4096);
		for (const tag of ['a b', 'x'.repeat(65), 'é']) {
			expect(writer.response(tag, {ok: true, value: 1}).bytes).toEqual(encodeFrame('response', 'none', encodeResponse(1)));
		}
	});
});

describe('the XML-RPC protocol', () => {
	it('serves both ways, needs no resync, and keys every request with a random prefix and a count', () => {
		const protocol = new XmlRpcProtocol({bodyMax: 4096});
		expect([protocol.name, protocol.hasServerSide, protocol.expectsReply(), protocol.resyncRequest()]).toEqual(['xmlrpc', true, true, undefined]);
		const [first, second] = [protocol.nextKey(), protocol.nextKey()];
		expect(first).toMatch(/^[\da-f]{6}\.1$/u);
		expect(second).toBe(first.replace(/1$/u, '2'));
		// The count is in base 36 (V8 caches every base-10 number's string: see keyCounterText).
		const prefix = first.slice(0, 7);
		const later = Array.from({length: 2000}, () => protocol.nextKey());
		expect(later[32]).toBe(`${prefix}z`);
		expect(later[33]).toBe(`${prefix}10`);
		expect(new Set(later).size).toBe(later.length);
		expect(later.every(key => key.startsWith(prefix) && isValidTag(key))).toBe(true);
		const prefixes = new Set(Array.from({length: 8}, () => new XmlRpcProtocol({bodyMax: 4096}).nextKey()));
		expect(prefixes.size).toBe(8);
		expect(() => {
			protocol.abandoned();
		}).not.toThrow();
	});

	it('takes its limits from the options, the rest from the defaults', () => {
		vi.useFakeTimers({toFake: ['Date'], now: 0});
		const defaults = xmlRpcProtocol({bodyMax: 100}) as XmlRpcProtocol;
		defaults.reader.push(Buffer.from('\xffPOST', 'latin1'));
		expect(defaults.reader.stallDeadline).toBe(10_000);
		expect(defaults.reader.push(Buffer.alloc(5000, 0x61))).toEqual([
			{type: 'error', code: 'HEADER_TOO_LONG', message: 'HEADER_TOO_LONG: no CRLFCRLF within 4096 bytes'},
			{type: 'skipped', bytes: 908},
		]);
		expect(() => defaults.writer.request('k', 'm', ['x'.repeat(100)])).toThrow('(limit 100)');

		const own = xmlRpcProtocol({bodyMax: 100, headerMax: 48, headerStallMs: 50, bodyStallMs: 70}) as XmlRpcProtocol;
		own.reader.push(Buffer.from('\xffPOST', 'latin1'));
		expect(own.reader.stallDeadline).toBe(50);
		expect(own.reader.push(Buffer.alloc(50, 0x61))).toEqual([
			{type: 'error', code: 'HEADER_TOO_LONG', message: 'HEADER_TOO_LONG: no CRLFCRLF within 48 bytes'},
			{type: 'skipped', bytes: 6},
		]);
		own.reader.push(Buffer.from('\xffPOST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab', 'latin1'));
		expect(own.reader.stallDeadline).toBe(70);
		vi.setSystemTime(70);
		expect(own.reader.push(Buffer.from('\xffPOST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n', 'latin1'))).toMatchObject([
			{type: 'error', code: 'STALLED_FRAME'},
			{type: 'error', code: 'BODY_TOO_LONG'},
		]);
		own.reader.push(Buffer.from('\xffPOST', 'latin1'));
		own.reset();
		expect(own.reader.end()).toEqual([]);
	});

	it('a round trip over a real socket: what the writer sends, the reader reads, however the kernel splits it', async () => {
		const pair = await socketPair();
		try {
			const host = new XmlRpcProtocol({bodyMax: 1024 * 1024});
			const guest = new XmlRpcProtocol({bodyMax: 1024 * 1024});
			const big = 'é'.repeat(200_000);
			const keys = [host.nextKey(), host.nextKey(), host.nextKey()];
			const events: ReaderEvent[] = [];
			pair.b.on('data', (chunk: Buffer) => events.push(...guest.reader.push(chunk)));
			pair.a.write(host.writer.request(keys[0]!, 'va.ping', []).bytes);
			pair.a.write(host.writer.request(keys[1]!, 'va.echo', [big]).bytes);
			for (const byte of host.writer.request(keys[2]!, 'va.echo', [{n: 1}]).bytes) {
				pair.a.write(Buffer.of(byte));
			}

			await vi.waitFor(() => {
				expect(events.filter(event => event.type === 'message')).toHaveLength(3);
			});
			expect(
				events.map(event =>
					event.type === 'message' && event.message.kind === 'request' ? [event.message.key, event.message.method, event.message.params] : event,
				),
			).toEqual([
				[keys[0], 'va.ping', []],
				[keys[1], 'va.echo', [big]],
				[keys[2], 'va.echo', [{n: 1}]],
			]);
		} finally {
			pair.close();
		}
	});
});

/** What an encoded answer says (its body is a getter: a view of the frame made when asked). */
function fields(encoded: {readonly bytes: Buffer; readonly body: Buffer; readonly ok: boolean}): {bytes: Buffer; body: Buffer; ok: boolean} {
	return {bytes: encoded.bytes, body: encoded.body, ok: encoded.ok};
}
