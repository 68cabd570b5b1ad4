/**
 * The qemu-ga writer and protocol at their edges (issue #10, mutation round 3): the exact bytes
 * written, every refusal's text, the depth bound at 64/65, the line limit at N/N+1, and what
 * each kind of drop does to the counters, the log and the need for a sync.
 */
import {afterEach, describe, expect, it, vi} from 'vitest';
import {describeSyncTimeout, QgaProtocol, qgaProtocol} from '../../../src/wire/qga/index.js';
import {defaultLineMax} from '../../../src/wire/qga/line-reader.js';
import {encodeRequest} from '../../../src/wire/qga/messages.js';
import {QgaWriter} from '../../../src/wire/qga/writer.js';
import {QgaCommandError} from '../../../src/wire/qga/errors.js';
import type {WireValue} from '../../../src/wire/types.js';

/** An argument struct whose deepest container is `levels` deep (the struct itself is level 1). */
function nestedArguments(levels: number): Record<string, WireValue> {
	let value: WireValue = 'leaf';
	for (let level = 1; level < levels; level++) {
		value = [value];
	}

	return {value};
}

function writer(lineMax = 1024) {
	const written: Array<[string, string, unknown]> = [];
	return {qga: new QgaWriter(lineMax, (key, method, args) => written.push([key, method, args])), written};
}

afterEach(() => {
	vi.useRealTimers();
});

describe('the qemu-ga writer', () => {
	it('writes one line, arguments only when given, and a sync after a 0xFF', () => {
		const {qga, written} = writer();
		expect(qga.request('q1', 'guest-ping', [])).toEqual({
			bytes: Buffer.from('{"execute":"guest-ping","id":"q1"}\n'),
			body: Buffer.from('{"execute":"guest-ping","id":"q1"}\n'),
		});
		const sync = qga.request('q2', 'guest-sync-delimited', [{id: 5}]);
		expect(sync.bytes).toEqual(Buffer.concat([Buffer.of(0xff), Buffer.from('{"execute":"guest-sync-delimited","arguments":{"id":5},"id":"q2"}\n')]));
		expect(sync.body).toEqual(Buffer.from('{"execute":"guest-sync-delimited","arguments":{"id":5},"id":"q2"}\n'));
		expect(written).toEqual([
			['q1', 'guest-ping', undefined],
			['q2', 'guest-sync-delimited', {id: 5}],
		]);
		expect(encodeRequest('guest-ping', undefined, undefined).toString()).toBe('{"execute":"guest-ping"}\n');
		expect(encodeRequest('x', {}, 'é').toString('utf8')).toBe('{"execute":"x","arguments":{},"id":"é"}\n');
	});

	it('takes a line of exactly its limit; one byte more is refused unsent and untracked', () => {
		const line = encodeRequest('guest-ping', {pad: ''}, 'q1').length;
		const {qga, written} = writer(line + 10);
		expect(qga.request('q1', 'guest-ping', [{pad: 'x'.repeat(10)}]).bytes).toHaveLength(line + 10);
		expect(() => qga.request('q2', 'guest-ping', [{pad: 'x'.repeat(11)}])).toThrow(
			new Error(`guest-ping request too large: ${line + 11} bytes (limit ${line + 10})`),
		);
		expect(written.map(([key]) => key)).toEqual(['q1']);
	});

	it('refuses arguments that are not one plain object, with the reason', () => {
		const {qga, written} = writer();
		const refusal = new Error('guest-ping: qemu-ga takes one JSON object of arguments');
		for (const params of [[null], [[1]], ['a'], [5], [Buffer.from('x')], [new Date(0)], [{}, {}], [new Map()]] as unknown as WireValue[][]) {
			expect(() => qga.request('q1', 'guest-ping', params)).toThrow(refusal);
		}

		class Point {
			x = 1;
		}

		expect(() => qga.request('q1', 'guest-ping', [new Point() as never])).toThrow(refusal);
		expect(written).toEqual([]);
		const bare = Object.assign(Object.create(null) as Record<string, WireValue>, {a: 1});
		expect(qga.request('q1', 'guest-ping', [bare]).bytes.toString()).toBe('{"execute":"guest-ping","arguments":{"a":1},"id":"q1"}\n');
	});

	it('sends plain JSON values only, each refusal named', () => {
		const {qga} = writer();
		const send = (value: unknown) => qga.request('q1', 'x', [{value} as never]);
		expect(send({s: 'a', b: false, n: null, i: -1.5, list: [true, 'x', {}]}).bytes.toString()).toBe(
			'{"execute":"x","arguments":{"value":{"s":"a","b":false,"n":null,"i":-1.5,"list":[true,"x",{}]}},"id":"q1"}\n',
		);
		expect(() => send(Number.NaN)).toThrow(new TypeError('cannot send NaN as JSON'));
		expect(() => send([Number.POSITIVE_INFINITY])).toThrow(new TypeError('cannot send Infinity as JSON'));
		expect(() => send({a: [Number.NEGATIVE_INFINITY]})).toThrow(new TypeError('cannot send -Infinity as JSON'));
		expect(() => send(Buffer.from('x'))).toThrow(new TypeError('cannot send bytes as JSON'));
		expect(() => send([new Date(0)])).toThrow(new TypeError('cannot send a date as JSON'));
		expect(() => send(5n)).toThrow(new TypeError('cannot send a bigint as JSON'));
		expect(() => send(undefined)).toThrow(new TypeError('cannot send a undefined as JSON'));
		expect(() => send(() => 1)).toThrow(new TypeError('cannot send a function as JSON'));
		expect(() => send(new Set())).toThrow(new TypeError('cannot send a object as JSON'));
	});

	it('takes arguments 64 levels deep, not 65', () => {
		const {qga} = writer(100_000);
		expect(qga.request('q1', 'x', [nestedArguments(64)]).bytes.toString()).toContain(`${'['.repeat(63)}"leaf"${']'.repeat(63)}`);
		expect(() => qga.request('q1', 'x', [nestedArguments(65)])).toThrow(new Error('arguments nested deeper than 64 levels'));
		expect(() => qga.request('q1', 'x', [{a: {b: nestedArguments(63)}}])).toThrow('deeper than 64');
	});

	it('answers nothing: qemu-ga never calls the host', () => {
		expect(writer().qga.response()).toEqual({bytes: Buffer.alloc(0), body: Buffer.alloc(0), ok: false});
	});
});

describe('the qemu-ga protocol', () => {
	function inStep(protocol: QgaProtocol): void {
		const resync = protocol.resyncRequest()!;
		const key = protocol.nextKey();
		protocol.writer.request(key, resync.method, resync.params);
		const {id} = resync.params[0] as {id: number};
		protocol.reader.push(Buffer.from(`\xff{"return": ${id}}\n`, 'latin1'));
		expect(protocol.inStep).toBe(true);
	}

	it('numbers its keys q1, q2, …, and knows every command that sends no reply', () => {
		const protocol = new QgaProtocol();
		expect([protocol.nextKey(), protocol.nextKey(), protocol.nextKey()]).toEqual(['q1', 'q2', 'q3']);
		for (const method of ['guest-shutdown', 'guest-suspend-disk', 'guest-suspend-ram', 'guest-suspend-hybrid']) {
			expect(protocol.expectsReply(method)).toBe(false);
		}

		for (const method of ['guest-ping', 'guest-sync-delimited', 'guest-info', '']) {
			expect(protocol.expectsReply(method)).toBe(true);
		}
	});

	it('is in step only once a sync is answered, and not while a new one is under way', () => {
		const protocol = new QgaProtocol();
		expect(protocol.inStep).toBe(false);
		expect(protocol.answeredOnce).toBe(false);
		const resync = protocol.resyncRequest()!;
		expect(resync.method).toBe('guest-sync-delimited');
		expect(resync.params).toHaveLength(1);
		expect(Object.keys(resync.params[0] as object)).toEqual(['id']);
		inStep(protocol);
		expect(protocol.answeredOnce).toBe(true);
		expect(protocol.resyncRequest()).toBeUndefined();
		expect(protocol.counters.syncs).toBe(1);
		// A sync written while in step (the engine's own choice) puts it out of step until answered.
		protocol.writer.request(protocol.nextKey(), 'guest-sync-delimited', [{id: 9}]);
		expect(protocol.inStep).toBe(false);
		expect(protocol.counters.syncs).toBe(2);
		expect(protocol.reader.syncing).toBe(true);
		protocol.reader.push(Buffer.from('\xff{"return": 9}\n', 'latin1'));
		expect(protocol.inStep).toBe(true);
		// A request other than a sync changes nothing.
		protocol.writer.request(protocol.nextKey(), 'guest-ping', []);
		expect(protocol.inStep).toBe(true);
		expect(protocol.reader.syncing).toBe(false);
		protocol.writer.request(protocol.nextKey(), 'guest-sync-delimited', [{id: 10}]);
		protocol.reset();
		expect(protocol.reader.syncing).toBe(false);
		expect(protocol.inStep).toBe(false);
		expect(protocol.answeredOnce).toBe(false);
	});

	it('a sync without arguments waits for an id of undefined', () => {
		const protocol = new QgaProtocol();
		protocol.writer.request('q1', 'guest-sync-delimited', []);
		expect(protocol.reader.syncing).toBe(true);
	});

	it('counts and logs each kind of drop; garbage and a cut or overlong line call for a sync, a foreign reply does not', () => {
		const log: string[] = [];
		const protocol = new QgaProtocol({lineMax: 90, log: line => log.push(line)});
		inStep(protocol);
		protocol.reader.push(Buffer.from('{"return": 1, "id": 5}\n'));
		expect(protocol.counters).toEqual({foreignReplies: 1, garbageLines: 0, discarded: 0, syncs: 1});
		expect(protocol.inStep).toBe(true);
		protocol.reader.push(Buffer.from('garbage\n'));
		expect(protocol.counters).toEqual({foreignReplies: 1, garbageLines: 1, discarded: 0, syncs: 1});
		expect(protocol.inStep).toBe(false);

		inStep(protocol);
		protocol.reader.push(Buffer.from(`${'x'.repeat(100)}\n`));
		expect(protocol.counters).toMatchObject({garbageLines: 1, discarded: 1});
		expect(protocol.inStep).toBe(false);

		inStep(protocol);
		protocol.reader.push(Buffer.from('{"ret\xff', 'latin1'));
		expect(protocol.counters).toMatchObject({discarded: 2});
		expect(protocol.inStep).toBe(false);

		// Discards during a sync are counted but change nothing more.
		const resync = protocol.resyncRequest()!;
		protocol.writer.request(protocol.nextKey(), resync.method, resync.params);
		protocol.reader.push(Buffer.from('stale\n'));
		expect(protocol.counters).toEqual({foreignReplies: 1, garbageLines: 1, discarded: 3, syncs: 4});
		expect(log).toEqual([
			'qga: dropped a reply with foreign id "5": "{\\"return\\": 1, \\"id\\": 5}"',
			'qga: dropped invalid JSON: "garbage"',
			'qga: dropped a reply over the line limit (100 bytes)',
			'qga: dropped a reply cut by a 0xFF byte (5 bytes)',
			'qga: dropped before the sync delimiter: "stale"',
		]);
	});

	it('a refused sync is logged once, uncounted, and leaves the protocol in step', () => {
		const log: string[] = [];
		const protocol = new QgaProtocol({log: line => log.push(line)});
		const resync = protocol.resyncRequest()!;
		const key = protocol.nextKey();
		protocol.writer.request(key, resync.method, resync.params);
		protocol.reader.push(Buffer.from(`{"error": {"class": "CommandNotFound", "desc": "Command guest-sync-delimited has been disabled"}, "id": "${key}"}\n`));
		expect(log).toEqual(['qga: the agent refused guest-sync-delimited ("Command guest-sync-delimited has been disabled"); replies are matched by id alone']);
		expect(protocol.counters).toEqual({foreignReplies: 0, garbageLines: 0, discarded: 0, syncs: 1});
		expect(protocol.inStep).toBe(true);
		expect(protocol.resyncRequest()).toBeUndefined();
	});

	it('logs nowhere by default, and a drop does not throw', () => {
		const protocol = new QgaProtocol();
		expect(() => protocol.reader.push(Buffer.from('garbage\n'))).not.toThrow();
		expect(protocol.counters.garbageLines).toBe(1);
	});

	it('describes an unanswered sync by whether one was ever answered', () => {
		const protocol = new QgaProtocol();
		expect(describeSyncTimeout(protocol, 2500)).toBe(
			'no answer to guest-sync-delimited within 2.5s: the agent is held by another client (qemu-ga serves one at a time) or is not running',
		);
		inStep(protocol);
		expect(describeSyncTimeout(protocol, 3000)).toBe('qemu-ga stopped answering: no reply to guest-sync-delimited within 3s');
	});

	it('the factory takes the larger of 16 MiB and bodyMax as its line limit, and bodyStallMs as its stall time', () => {
		const big = qgaProtocol({bodyMax: defaultLineMax + 100}) as QgaProtocol;
		const pad = 'x'.repeat(defaultLineMax);
		expect(() => big.writer.request('q1', 'x', [{pad}])).not.toThrow();
		expect(() => big.writer.request('q1', 'x', [{pad: `${pad}${'x'.repeat(100)}`}])).toThrow(`(limit ${defaultLineMax + 100})`);
		const small = qgaProtocol({bodyMax: 10}) as QgaProtocol;
		expect(() => small.writer.request('q1', 'x', [{pad}])).toThrow(`(limit ${defaultLineMax})`);
		expect(() => new QgaProtocol().writer.request('q1', 'x', [{pad}])).toThrow(`(limit ${defaultLineMax})`);

		vi.useFakeTimers({toFake: ['Date'], now: 5000});
		small.reader.push(Buffer.from('{'));
		expect(small.reader.stallDeadline).toBe(15_000);
		const quick = qgaProtocol({bodyMax: 10, bodyStallMs: 250}) as QgaProtocol;
		quick.reader.push(Buffer.from('{'));
		expect(quick.reader.stallDeadline).toBe(5250);
	});

	it("names qemu-ga's error class as the RPCFailed error", () => {
		const error = new QgaCommandError({class: 'GenericError', desc: 'no such file'});
		expect(error).toBeInstanceOf(Error);
		expect([error.name, error.message, error.errorClass, error.desc]).toEqual(['RPCFailed', 'GenericError: no such file', 'GenericError', 'no such file']);
	});
});
