/**
 * The qemu-ga reader at its edges (issue #10, mutation round 3): every boundary, every refusal's
 * exact text, and a reply stream split at every byte offset. The reader is fed real byte
 * streams, as a socket hands them over; its clock is Date.now, moved by the test.
 */
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {defaultLineMax, LineReader} from '../../../src/wire/qga/line-reader.js';
import {jsonDepth, parseBoundedJson} from '../../../src/wire/qga/json.js';
import {isStrayDelimiterError, parseReply} from '../../../src/wire/qga/messages.js';
import {type DropReport, QgaReader, toFault} from '../../../src/wire/qga/reader.js';
import {newSyncId, snippet, SyncExchange} from '../../../src/wire/qga/sync.js';
import type {ReaderEvent} from '../../../src/wire/types.js';

const ff = Buffer.of(0xff);
const bytes = (...parts: Array<string | Buffer>) => Buffer.concat(parts.map(part => (Buffer.isBuffer(part) ? part : Buffer.from(part))));
const nest = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/** A reader whose drops and syncs are recorded. */
function reader(lineMax = 1024, stallMs?: number) {
	const drops: DropReport[] = [];
	let synced = 0;
	const qga = new QgaReader(
		lineMax,
		report => drops.push(report),
		() => {
			synced++;
		},
		stallMs,
	);
	return {qga, drops, synced: () => synced};
}

describe('qemu-ga lines at the limit', () => {
	it('takes a line of exactly lineMax bytes, in one piece or two; one byte more is dropped whole', () => {
		expect(new LineReader(10).push(Buffer.from('0123456789\n'))).toEqual([{type: 'line', bytes: Buffer.from('0123456789')}]);
		const split = new LineReader(10);
		expect(split.push(Buffer.from('01234'))).toEqual([]);
		expect(split.buffered).toBe(5);
		expect(split.push(Buffer.from('56789\n'))).toEqual([{type: 'line', bytes: Buffer.from('0123456789')}]);
		expect(new LineReader(10).push(Buffer.from('0123456789A\n'))).toEqual([{type: 'dropped', reason: 'overlong', bytes: 11}]);
		const late = new LineReader(10);
		late.push(Buffer.from('012345'));
		expect(late.push(Buffer.from('6789A\nok\n'))).toEqual([
			{type: 'dropped', reason: 'overlong', bytes: 11},
			{type: 'line', bytes: Buffer.from('ok')},
		]);
	});

	it('an overlong line cut by 0xFF is reported as overlong, with every byte counted', () => {
		const lines = new LineReader(4);
		expect(lines.push(Buffer.from('abcdef'))).toEqual([]);
		expect(lines.buffered).toBe(0);
		expect(lines.push(bytes('gh', ff, 'ok\n'))).toEqual([
			{type: 'dropped', reason: 'overlong', bytes: 8},
			{type: 'delimiter'},
			{type: 'line', bytes: Buffer.from('ok')},
		]);
	});

	it('empty lines, back-to-back delimiters and a newline right after 0xFF', () => {
		expect(new LineReader().push(bytes('\n', ff, ff, '\n\n'))).toEqual([
			{type: 'line', bytes: Buffer.alloc(0)},
			{type: 'delimiter'},
			{type: 'delimiter'},
			{type: 'line', bytes: Buffer.alloc(0)},
			{type: 'line', bytes: Buffer.alloc(0)},
		]);
	});

	it('a 0xFF before the next newline in the same chunk comes first, and the reverse', () => {
		expect(new LineReader().push(bytes('a\nb', ff, 'c\nd', ff))).toEqual([
			{type: 'line', bytes: Buffer.from('a')},
			{type: 'dropped', reason: 'cut', bytes: 1},
			{type: 'delimiter'},
			{type: 'line', bytes: Buffer.from('c')},
			{type: 'dropped', reason: 'cut', bytes: 1},
			{type: 'delimiter'},
		]);
	});

	it('a line in one chunk is handed on without a copy; one in pieces is joined', () => {
		const chunk = Buffer.from('{"return": 1}\n');
		const [event] = new LineReader().push(chunk);
		expect(event?.type === 'line' && event.bytes.buffer).toBe(chunk.buffer);
		const lines = new LineReader();
		lines.push(Buffer.from('{"ret'));
		lines.push(Buffer.from('urn": '));
		expect(lines.push(Buffer.from('2}\n'))).toEqual([{type: 'line', bytes: Buffer.from('{"return": 2}')}]);
	});

	it('defaults to a 16 MiB line', () => {
		expect(defaultLineMax).toBe(16 * 1024 * 1024);
		const lines = new LineReader();
		lines.push(Buffer.alloc(defaultLineMax, 0x61));
		expect(lines.buffered).toBe(defaultLineMax);
		expect(lines.push(Buffer.from('a'))).toEqual([]);
		expect(lines.buffered).toBe(0);
		expect(lines.push(Buffer.from('\n'))).toEqual([{type: 'dropped', reason: 'overlong', bytes: defaultLineMax + 1}]);
	});
});

describe('the JSON depth bound at 64/65', () => {
	it('is 64 by default: 64 levels parse, 65 are refused with the reason', () => {
		expect(parseBoundedJson(nest(64))).toBeInstanceOf(Array);
		expect(() => parseBoundedJson(nest(65))).toThrow(/^JSON nested deeper than 64 levels$/u);
		expect(() => parseBoundedJson(nest(3), 2)).toThrow(/^JSON nested deeper than 2 levels$/u);
		expect(parseBoundedJson(nest(2), 2)).toEqual([[]]);
	});

	it('a 65-deep value after a 64-deep one is still seen', () => {
		const text = `[${nest(63)},${nest(64)}]`;
		expect(jsonDepth(text)).toBe(65);
		expect(() => parseBoundedJson(text)).toThrow('deeper than 64');
		expect(jsonDepth(`{"a": ${nest(64)}}`)).toBe(65);
		// Stops counting past the limit: the rest is never scanned.
		expect(jsonDepth(nest(200), 10)).toBe(11);
	});

	it('closing brackets bring the depth down: siblings do not add up', () => {
		expect(jsonDepth(`[${nest(40)},${nest(40)}]`)).toBe(41);
		expect(jsonDepth('{}{}{}')).toBe(1);
		expect(jsonDepth('[[[1]], []]')).toBe(3);
	});

	it('a string that opens with backslashes, or never ends', () => {
		expect(jsonDepth('["\\\\", [1]]')).toBe(2);
		expect(jsonDepth('["\\\\\\"]", [1]]')).toBe(2);
		expect(jsonDepth('[[ "unterminated [[[[')).toBe(2);
		expect(jsonDepth('"')).toBe(0);
	});

	it('says "invalid JSON", never the input', () => {
		expect(() => parseBoundedJson('{"a": \u001b[31m}')).toThrow(/^invalid JSON$/u);
		expect(() => parseBoundedJson('[')).toThrow(expect.objectContaining({name: 'JsonInputError'}) as Error);
	});
});

describe('qemu-ga replies', () => {
	it('refuses what is not an object, and an error that is not an object, with the reason', () => {
		for (const text of ['null', '[1]', '5', '"x"']) {
			expect(() => parseReply(text)).toThrow(/^a reply must be a JSON object$/u);
		}

		for (const text of ['{"error": null}', '{"error": [1]}', '{"error": "x"}', '{"id": 1}']) {
			expect(() => parseReply(text)).toThrow(/^a reply holds neither "return" nor "error"$/u);
		}
	});

	it('fills a class or desc qemu-ga left out or sent as another type', () => {
		expect(parseReply('{"error": {}}')).toEqual({kind: 'error', id: undefined, error: {class: 'GenericError', desc: 'null'}});
		expect(parseReply('{"error": {"class": 7, "desc": {"a": [1]}}, "id": "q1"}')).toEqual({
			kind: 'error',
			id: 'q1',
			error: {class: 'GenericError', desc: '{"a":[1]}'},
		});
		expect(parseReply('{"error": {"class": "X", "desc": null}}').kind === 'error' && parseReply('{"error": {"class": "X", "desc": null}}')).toMatchObject({
			error: {class: 'X', desc: 'null'},
		});
		// A reply with both is a return (qemu-ga never sends both).
		expect(parseReply('{"error": {"class": "X", "desc": "d"}, "return": 0}')).toEqual({kind: 'return', id: undefined, value: 0});
		expect(parseReply('{"return": null, "id": null}')).toEqual({kind: 'return', id: null, value: null});
	});

	it('knows the stray-0xFF parse error only by its exact shape', () => {
		const stray = parseReply('{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\u00ff\'"}}');
		expect(isStrayDelimiterError(stray)).toBe(true);
		expect(isStrayDelimiterError(parseReply('{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'x\'"}, "id": "q1"}'))).toBe(false);
		expect(isStrayDelimiterError(parseReply('{"error": {"class": "GenericError", "desc": "a JSON parse error, stray"}}'))).toBe(false);
		expect(isStrayDelimiterError(parseReply('{"return": "JSON parse error, stray"}'))).toBe(false);
	});

	it('maps error classes to fault codes: disabled (only at the end of desc), not found, anything else', () => {
		expect(toFault({class: 'CommandNotFound', desc: 'Command guest-exec has been disabled'})).toEqual({
			code: -508,
			message: 'Command guest-exec has been disabled',
			errorClass: 'CommandNotFound',
		});
		expect(toFault({class: 'CommandNotFound', desc: 'Command x has been disabled for now'}).code).toBe(-506);
		expect(toFault({class: 'CommandNotFound', desc: 'Command xhas been disabled'}).code).toBe(-506);
		expect(toFault({class: 'CommandNotFound', desc: 'The command x has not been found'}).code).toBe(-506);
		expect(toFault({class: 'GenericError', desc: 'Command x has been disabled'})).toEqual({
			code: -500,
			message: 'Command x has been disabled',
			errorClass: 'GenericError',
		});
	});
});

describe('snippets of guest text in log lines', () => {
	it('keeps 80 characters, then an ellipsis; escapes everything outside printable ASCII', () => {
		expect(snippet('a'.repeat(80))).toBe(`"${'a'.repeat(80)}"`);
		expect(snippet('a'.repeat(81))).toBe(`"${'a'.repeat(80)}\\u2026"`);
		expect(snippet('abcdef', 3)).toBe('"abc\\u2026"');
		expect(snippet('é\u2028\u001b[2J~ ')).toBe('"\\u00e9\\u2028\\u001b[2J~ "');
		expect(snippet('\u007f')).toBe('"\\u007f"');
	});

	it('sync ids are random safe integers from 1 to 2^47', () => {
		const ids = Array.from({length: 20}, () => newSyncId());
		for (const id of ids) {
			expect(Number.isSafeInteger(id)).toBe(true);
			expect(id).toBeGreaterThanOrEqual(1);
			expect(id).toBeLessThan(2 ** 47);
		}

		expect(Math.max(...ids)).toBeGreaterThan(2 ** 32);
		expect(new Set(ids).size).toBe(20);
	});
});

describe('the sync exchange', () => {
	const line = (text: string) => ({type: 'line' as const, bytes: Buffer.from(text)});

	it('discards, with a reason, everything until the delimiter and then until its id', () => {
		const exchange = new SyncExchange(42, 'q1');
		expect(exchange.id).toBe(42);
		expect(exchange.step({type: 'dropped', reason: 'overlong', bytes: 9})).toEqual({done: false, discarded: '9 bytes (a line over the limit)'});
		expect(exchange.step({type: 'dropped', reason: 'cut', bytes: 3})).toEqual({done: false, discarded: '3 bytes (a line cut by 0xFF)'});
		expect(exchange.step(line('  '))).toEqual({done: false});
		expect(exchange.step(line('{"return": 42}'))).toEqual({done: false, discarded: 'before the sync delimiter: "{\\"return\\": 42}"'});
		expect(exchange.step(line('junk'))).toEqual({done: false, discarded: 'before the sync delimiter: "junk"'});
		expect(exchange.step({type: 'delimiter'})).toEqual({done: false});
		expect(exchange.step(line('{"return": 41}'))).toEqual({done: false, discarded: 'waiting for sync id "42": "{\\"return\\": 41}"'});
		expect(exchange.step(line('{"return": "42"}'))).toMatchObject({done: false});
		expect(exchange.step(line('{"error": {"class": "X", "desc": "d"}, "id": "q2"}'))).toMatchObject({done: false});
		expect(exchange.step(line('{"return": 42}'))).toEqual({done: true});
	});

	it('skips the stray parse error once, silently; a second one is discarded with a reason', () => {
		const stray = '{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\u00ff\'"}}';
		const exchange = new SyncExchange(7, 'q1');
		expect(exchange.step(line(stray))).toEqual({done: false});
		expect(exchange.step(line(stray))).toMatchObject({done: false, discarded: expect.stringMatching(/^before the sync delimiter: /u)});
	});

	it('is refused only by an error that carries its own key', () => {
		const error = {class: 'CommandNotFound', desc: 'Command guest-sync-delimited has been disabled'};
		const withKey = new SyncExchange(7, 'q1');
		expect(withKey.step(line(JSON.stringify({error, id: 'q1'})))).toEqual({done: true, refused: error});
		// An error without an id is not the refusal of an exchange that has no key.
		const noKey = new SyncExchange(7);
		noKey.step(line('{"error": {"class": "GenericError", "desc": "JSON parse error, stray"}}'));
		expect(noKey.step(line(JSON.stringify({error})))).toMatchObject({done: false});
		expect(noKey.step(line(JSON.stringify({error, id: 'q1'})))).toMatchObject({done: false});
	});

	it('quotes the awaited id in 20 characters at most', () => {
		const exchange = new SyncExchange('x'.repeat(30));
		exchange.step({type: 'delimiter'});
		expect(exchange.step(line('1'))).toEqual({done: false, discarded: `waiting for sync id "${'x'.repeat(20)}\\u2026": "1"`});
	});
});

describe('the qemu-ga reader', () => {
	beforeEach(() => {
		vi.useFakeTimers({toFake: ['Date'], now: 1_000_000});
	});

	afterEach(() => {
		vi.useRealTimers();
	});

	it('drops a reply that gets no byte for the stall time, at exactly that time, and says how much it held', () => {
		const {qga, drops} = reader(1024, 300);
		expect(qga.stallDeadline).toBeUndefined();
		expect(qga.checkStall()).toEqual([]);
		qga.push(Buffer.from('{"return": '));
		expect(qga.stallDeadline).toBe(1_000_300);
		vi.setSystemTime(1_000_200);
		qga.push(Buffer.from('{}'));
		expect(qga.stallDeadline).toBe(1_000_500);
		vi.setSystemTime(1_000_499);
		expect(qga.checkStall()).toEqual([]);
		vi.setSystemTime(1_000_500);
		expect(qga.checkStall()).toEqual([{type: 'error', code: 'STALLED_FRAME', message: 'a reply stalled: no byte for 300 ms after 13 bytes'}]);
		expect(drops).toEqual([{kind: 'cut', detail: 'a reply stalled: no byte for 300 ms after 13 bytes'}]);
		expect(qga.stallDeadline).toBeUndefined();
		expect(qga.checkStall()).toEqual([]);
		// The next line is read from its own start.
		expect(qga.push(Buffer.from(', "id": "q1"}\n{"return": 1, "id": "q2"}\n'))).toMatchObject([
			{type: 'skipped', bytes: 14},
			{type: 'message', message: {key: 'q2', outcome: {ok: true, value: 1}}},
		]);
	});

	it('has no deadline after a whole line; 10 s by default, kept while an overlong line is skipped', () => {
		const {qga} = reader(8);
		qga.push(Buffer.from('{"return": 1, "id": "q1"}\n'));
		expect(qga.stallDeadline).toBeUndefined();
		vi.setSystemTime(2_000_000);
		expect(qga.checkStall()).toEqual([]);
		qga.push(Buffer.from('{"ret'));
		expect(qga.stallDeadline).toBe(2_000_000 + 10_000);
		vi.setSystemTime(2_000_001);
		qga.push(Buffer.from('urn": 1'));
		expect(qga.stallDeadline).toBe(2_000_001 + 10_000);
		qga.push(Buffer.from('\n'));
		expect(qga.stallDeadline).toBeUndefined();
	});

	it('end() counts what an unfinished line held, once; reset() forgets a sync', () => {
		const {qga} = reader();
		expect(qga.end()).toEqual([]);
		qga.push(Buffer.from('{"return"'));
		expect(qga.end()).toEqual([{type: 'skipped', bytes: 9}]);
		expect(qga.end()).toEqual([]);
		expect(qga.stallDeadline).toBeUndefined();
		qga.expectSync('q1', 5);
		expect(qga.syncing).toBe(true);
		qga.reset();
		expect(qga.syncing).toBe(false);
		expect(qga.push(Buffer.from('{"return": 5, "id": "q3"}\n'))).toMatchObject([{type: 'message', message: {key: 'q3'}}]);
	});

	it('reports a dropped line as an error with its code, and every other byte as skipped', () => {
		const {qga, drops} = reader(16);
		const events = qga.push(bytes('\n', ff, '{"return": ', ff, 'x'.repeat(20), '\n  \n'));
		expect(events).toEqual([
			{type: 'skipped', bytes: 1},
			{type: 'skipped', bytes: 1},
			{type: 'error', code: 'CUT_LINE', message: 'a reply cut by a 0xFF byte (11 bytes)'},
			{type: 'skipped', bytes: 1},
			{type: 'error', code: 'LINE_TOO_LONG', message: 'a reply over the line limit (20 bytes)'},
			{type: 'skipped', bytes: 3},
		]);
		expect(drops).toEqual([
			{kind: 'cut', detail: 'a reply cut by a 0xFF byte (11 bytes)'},
			{kind: 'overlong', detail: 'a reply over the line limit (20 bytes)'},
		]);
	});

	it('drops garbage and foreign ids with a one-line reason', () => {
		const {qga, drops} = reader();
		const events = qga.push(
			Buffer.from(
				[
					'not json',
					'{"return": 1}',
					'{"return": 1, "id": 7}',
					'{"return": 1, "id": ""}',
					`{"return": 1, "id": "${'k'.repeat(65)}"}`,
					'{"return": 1, "id": "q1\\n"}',
					'{"return": 1, "id": "a b"}',
					`{"return": 1, "id": "${'k'.repeat(64)}"}`,
					'{"return": 1, "id": "A-z_0.9"}',
					'',
				].join('\n'),
			),
		);
		expect(events.map(event => (event.type === 'message' ? event.message.key : event.type))).toEqual([
			'skipped',
			'skipped',
			'skipped',
			'skipped',
			'skipped',
			'skipped',
			'skipped',
			'k'.repeat(64),
			'A-z_0.9',
		]);
		expect(events[0]).toEqual({type: 'skipped', bytes: 9});
		expect(drops).toEqual([
			{kind: 'garbage', detail: 'invalid JSON: "not json"'},
			{kind: 'foreign', detail: 'a reply with no id: "{\\"return\\": 1}"'},
			{kind: 'foreign', detail: 'a reply with foreign id "7": "{\\"return\\": 1, \\"id\\": 7}"'},
			{kind: 'foreign', detail: 'a reply with foreign id "\\"\\"": "{\\"return\\": 1, \\"id\\": \\"\\"}"'},
			{kind: 'foreign', detail: expect.stringMatching(/^a reply with foreign id "\\"k{39}\\u2026": /u)},
			{kind: 'foreign', detail: 'a reply with foreign id "\\"q1\\\\n\\"": "{\\"return\\": 1, \\"id\\": \\"q1\\\\n\\"}"'},
			{kind: 'foreign', detail: 'a reply with foreign id "\\"a b\\"": "{\\"return\\": 1, \\"id\\": \\"a b\\"}"'},
		]);
	});

	it('hands on a reply with its key, its outcome and its bytes', () => {
		const {qga} = reader();
		const events = qga.push(Buffer.from('{"return": {"a": [1]}, "id": "q1"}\n{"id": "q2", "error": {"class": "CommandNotFound", "desc": "nope"}}\n'));
		expect(events).toEqual([
			{type: 'message', message: {kind: 'response', key: 'q1', outcome: {ok: true, value: {a: [1]}}, raw: Buffer.from('{"return": {"a": [1]}, "id": "q1"}')}},
			{
				type: 'message',
				message: {
					kind: 'response',
					key: 'q2',
					outcome: {ok: false, fault: {code: -506, message: 'nope', errorClass: 'CommandNotFound'}},
					raw: Buffer.from('{"id": "q2", "error": {"class": "CommandNotFound", "desc": "nope"}}'),
				},
			},
		]);
	});

	it('while syncing: counts every discarded byte, reports why, and answers the sync by its key', () => {
		const {qga, drops, synced} = reader(26);
		qga.expectSync('q5', 99);
		const events = qga.push(bytes('stale\n', 'x'.repeat(30), '\n', ff, '\n{"return": 98}\n{"return": 99}\n{"return": 1, "id": "q6"}\n'));
		expect(events).toEqual([
			{type: 'skipped', bytes: 6},
			{type: 'skipped', bytes: 30},
			{type: 'skipped', bytes: 1},
			{type: 'skipped', bytes: 15},
			{type: 'message', message: {kind: 'response', key: 'q5', outcome: {ok: true, value: 99}, raw: Buffer.from('{"return":99}')}},
			{type: 'message', message: {kind: 'response', key: 'q6', outcome: {ok: true, value: 1}, raw: Buffer.from('{"return": 1, "id": "q6"}')}},
		]);
		expect(drops).toEqual([
			{kind: 'sync-discard', detail: 'before the sync delimiter: "stale"'},
			{kind: 'sync-discard', detail: '30 bytes (a line over the limit)'},
			{kind: 'sync-discard', detail: 'waiting for sync id "99": "{\\"return\\": 98}"'},
		]);
		expect(synced()).toBe(1);
		expect(qga.syncing).toBe(false);
	});

	it('a refused sync answers its request with the fault, says so once, and goes on by id', () => {
		const {qga, drops, synced} = reader();
		qga.expectSync('q1', 5);
		const refusal = '{"error": {"class": "CommandNotFound", "desc": "Command guest-sync-delimited has been disabled"}, "id": "q1"}';
		const events = qga.push(Buffer.from(`${refusal}\n{"return": 2, "id": "q2"}\n`));
		expect(events).toEqual([
			{
				type: 'message',
				message: {
					kind: 'response',
					key: 'q1',
					outcome: {ok: false, fault: {code: -508, message: 'Command guest-sync-delimited has been disabled', errorClass: 'CommandNotFound'}},
					raw: Buffer.from('{"error":{"class":"CommandNotFound","desc":"Command guest-sync-delimited has been disabled"}}'),
				},
			},
			{type: 'message', message: {kind: 'response', key: 'q2', outcome: {ok: true, value: 2}, raw: Buffer.from('{"return": 2, "id": "q2"}')}},
		]);
		expect(drops).toEqual([
			{
				kind: 'sync-refused',
				detail: 'the agent refused guest-sync-delimited ("Command guest-sync-delimited has been disabled"); replies are matched by id alone',
			},
		]);
		expect(synced()).toBe(1);
		expect(qga.syncing).toBe(false);
	});

	it('reads the same events from a stream split at every byte offset', () => {
		const stream = bytes(
			'{"return": "stale", "id": "q1"}\n',
			ff,
			'{"return": 77}\n',
			'{"return": {"s": "é\\u00ff"}, "id": "q3"}\n',
			'oops\n',
			'{"id": "q4", "error": {"class": "GenericError", "desc": "d"}}\n',
		);
		const run = (cuts: number[]) => {
			const {qga, drops} = reader();
			qga.expectSync('q2', 77);
			const events: ReaderEvent[] = [];
			let from = 0;
			for (const to of [...cuts, stream.length]) {
				events.push(...qga.push(stream.subarray(from, to)));
				from = to;
			}

			events.push(...qga.end());
			return {events: summarize(events), drops};
		};

		const whole = run([]);
		expect(whole.events).toEqual(['skipped:32', 'q2:77', 'q3:{"s":"é\u00ff"}', 'skipped:5', 'q4:GenericError']);
		expect(whole.drops.map(drop => drop.kind)).toEqual(['sync-discard', 'garbage']);
		for (let cut = 1; cut < stream.length; cut++) {
			expect(run([cut])).toEqual(whole);
		}

		for (let cut = 1; cut + 7 < stream.length; cut += 3) {
			expect(run([cut, cut + 1, cut + 7])).toEqual(whole);
		}
	});

	it('a stalled overlong line is dropped at the stall time like any other started line (PROTOCOL.md §2), and the next reply is read normally', () => {
		const {qga, drops} = reader(30, 300);
		expect(qga.push(Buffer.alloc(40, 0x61))).toEqual([]);
		expect(qga.stallDeadline).toBe(1_000_300);
		vi.setSystemTime(1_000_300);
		expect(qga.checkStall()).toEqual([{type: 'error', code: 'STALLED_FRAME', message: 'a reply stalled: no byte for 300 ms after 40 bytes'}]);
		expect(drops).toEqual([{kind: 'cut', detail: 'a reply stalled: no byte for 300 ms after 40 bytes'}]);
		expect(qga.stallDeadline).toBeUndefined();
		expect(qga.push(Buffer.from('{"return": 1, "id": "q1"}\n'))).toMatchObject([{type: 'message', message: {key: 'q1', outcome: {ok: true, value: 1}}}]);
	});
});

/** Events as short strings; skipped runs merged (how a stream is cut must not matter). */
function summarize(events: readonly ReaderEvent[]): string[] {
	const out: string[] = [];
	let skipped = 0;
	for (const event of events) {
		if (event.type === 'skipped') {
			skipped += event.bytes;
			continue;
		}

		if (skipped > 0) {
			out.push(`skipped:${skipped}`);
			skipped = 0;
		}

		if (event.type === 'error') {
			out.push(`error:${event.code}`);
		} else if (event.message.kind === 'response') {
			const {outcome} = event.message;
			out.push(`${event.message.key}:${outcome.ok ? JSON.stringify(outcome.value) : outcome.fault.errorClass}`);
		}
	}

	if (skipped > 0) {
		out.push(`skipped:${skipped}`);
	}

	return out;
}

describe('the line reader stays one pass over a chunk', () => {
	/** `count` pieces of `size` bytes, each ending in `end`, then `last` (if any). */
	const chunk = (count: number, size: number, end: number, last?: number) => {
		const piece = Buffer.alloc(size, 0x78);
		piece[size - 1] = end;
		const pieces = Array.from({length: count}, () => piece);
		return Buffer.concat(last === undefined ? pieces : [...pieces, Buffer.of(last)]);
	};

	// 20 MB in 150,000 pieces: one pass is ~20 MB of searching; a search that restarts at every
	// line (or every 0xFF) scans ~1.5 TB, which no test timeout survives.
	const count = 150_000;
	const size = 133;

	it('many lines with no 0xFF, or with one 0xFF at the very end', () => {
		expect(new LineReader(1024).push(chunk(count, size, 0x0a))).toHaveLength(count);
		const events = new LineReader(1024).push(chunk(count, size, 0x0a, 0xff));
		expect(events).toHaveLength(count + 1);
		expect(events.at(-1)).toEqual({type: 'delimiter'});
	});

	it('many 0xFF-cut pieces with no newline, or with one newline at the very end', () => {
		expect(new LineReader(1024).push(chunk(count, size, 0xff))).toHaveLength(2 * count);
		const events = new LineReader(1024).push(chunk(count, size, 0xff, 0x0a));
		expect(events).toHaveLength(2 * count + 1);
		expect(events.at(-1)).toEqual({type: 'line', bytes: Buffer.alloc(0)});
	});

	it('a line inside one chunk is a view of it: no copy', () => {
		const bytes = Buffer.from('{"return": 1}\n');
		const [event] = new LineReader().push(bytes);
		bytes[11] = 0x32;
		expect(event?.type === 'line' && event.bytes.toString()).toBe('{"return": 2}');
	});
});
