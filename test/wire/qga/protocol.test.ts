/** The qemu-ga wire protocol as the engine drives it (src/wire/types.ts), without a socket. */
import {describe, expect, it} from 'vitest';
import {QgaProtocol, qgaProtocol} from '../../../src/wire/qga/index.js';
import type {ReaderEvent} from '../../../src/wire/types.js';

function sync(protocol: QgaProtocol): {key: string; id: number} {
	const resync = protocol.resyncRequest()!;
	expect(resync.method).toBe('guest-sync-delimited');
	const key = protocol.nextKey();
	const {bytes} = protocol.writer.request(key, resync.method, resync.params);
	const {id} = resync.params[0] as {id: number};
	expect(bytes.toString('latin1')).toBe(`\xff{"execute":"guest-sync-delimited","arguments":{"id":${id}},"id":"${key}"}\n`);
	return {key, id};
}

const responses = (events: readonly ReaderEvent[]) => events.flatMap(event => (event.type === 'message' ? [event.message] : []));

describe('qemu-ga wire protocol', () => {
	it('has no server side, and asks for a sync before the first request and after each disturbance', () => {
		const protocol = qgaProtocol({bodyMax: 2 * 1024 * 1024});
		expect(protocol.name).toBe('qga');
		expect(protocol.hasServerSide).toBe(false);
		expect(protocol.expectsReply('guest-ping')).toBe(true);
		expect(protocol.expectsReply('guest-shutdown')).toBe(false);
		expect(protocol.expectsReply('guest-suspend-ram')).toBe(false);

		const qga = protocol as QgaProtocol;
		const {key, id} = sync(qga);
		expect(qga.resyncRequest()).toBeDefined(); // still syncing
		const events = qga.reader.push(
			Buffer.from(
				`{"return": "stale", "id": "q9"}\n{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\\ufffd'"}}\n\xff{"return": ${id}}\n`,
				'latin1',
			),
		);
		expect(responses(events)).toEqual([{kind: 'response', key, outcome: {ok: true, value: id}, raw: Buffer.from(`{"return":${id}}`)}]);
		expect(qga.counters.discarded).toBe(1); // the stale reply; the stray error is expected
		expect(qga.resyncRequest()).toBeUndefined();

		// A reply in step is a response with its key; an error keeps qemu-ga's class.
		const ping = qga.nextKey();
		expect(qga.writer.request(ping, 'guest-ping', []).bytes.toString()).toBe(`{"execute":"guest-ping","id":"${ping}"}\n`);
		expect(
			responses(qga.reader.push(Buffer.from(`{"id": "${ping}", "error": {"class": "CommandNotFound", "desc": "Command guest-ping has been disabled"}}\n`))),
		).toMatchObject([{key: ping, outcome: {ok: false, fault: {code: -508, errorClass: 'CommandNotFound', message: 'Command guest-ping has been disabled'}}}]);
		expect(qga.resyncRequest()).toBeUndefined();

		qga.abandoned(ping);
		expect(qga.resyncRequest()).toBeDefined();
	});

	it('drops replies with no id or an id it could not have made; an unparsable line calls for a sync', () => {
		const protocol = new QgaProtocol();
		const {id} = sync(protocol);
		protocol.reader.push(Buffer.from(`\xff{"return": ${id}}\n`, 'latin1'));
		const events = protocol.reader.push(Buffer.from('{"return": 1}\n{"return": 1, "id": 7}\n{"return": 1, "id": "has space"}\n'));
		expect(events).toEqual([
			{type: 'skipped', bytes: 14},
			{type: 'skipped', bytes: 23},
			{type: 'skipped', bytes: 33},
		]);
		expect(protocol.counters.foreignReplies).toBe(3);
		expect(protocol.resyncRequest()).toBeUndefined();
		protocol.reader.push(Buffer.from('garbage\n'));
		expect(protocol.counters.garbageLines).toBe(1);
		expect(protocol.resyncRequest()).toBeDefined();
	});

	it('a no-reply request that ends in silence puts the stream out of step; a new stream starts over', () => {
		const protocol = new QgaProtocol();
		const {id} = sync(protocol);
		protocol.reader.push(Buffer.from(`\xff{"return": ${id}}\n`, 'latin1'));
		const key = protocol.nextKey();
		protocol.writer.request(key, 'guest-shutdown', [{mode: 'powerdown'}]);
		expect(protocol.resyncRequest()).toBeUndefined();
		protocol.abandoned(key); // the engine stopped waiting: silence
		expect(protocol.resyncRequest()).toBeDefined();
		protocol.reset();
		expect(protocol.answeredOnce).toBe(false);
	});

	it('sends only one JSON object of plain JSON values as arguments', () => {
		const protocol = new QgaProtocol();
		expect(() => protocol.writer.request('q1', 'guest-file-write', [{handle: 1, 'buf-b64': Buffer.from('x')}])).toThrow('cannot send bytes');
		expect(() => protocol.writer.request('q1', 'guest-ping', ['a'])).toThrow('one JSON object');
		expect(() => protocol.writer.request('q1', 'guest-ping', [{}, {}])).toThrow('one JSON object');
		expect(() => protocol.writer.request('q1', 'guest-ping', [{n: 1n}])).toThrow('cannot send');
		let deep: unknown = 1;
		for (let level = 0; level < 100; level++) {
			deep = [deep];
		}

		expect(() => protocol.writer.request('q1', 'guest-ping', [{deep} as never])).toThrow('deeper than 64');
		expect(protocol.writer.response().bytes).toHaveLength(0);
	});
});
