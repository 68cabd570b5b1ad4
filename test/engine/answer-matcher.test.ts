/**
 * Which client job an answer is for, over the client side's real lists: a live request by its
 * key, the one in flight for an untagged answer, and late answers to given-up requests, which
 * free their slot on the peer (and kick) or, once the grace period is over, reset the channel.
 */
import {afterEach, describe, expect, it} from 'vitest';
import {AnswerMatcher} from '../../src/engine/answer-matcher.js';
import {EventBus} from '../../src/engine/bus.js';
import type {EngineEvent} from '../../src/engine/events.js';
import {createClientJob, ignore, outstandingSlot, type ClientJob} from '../../src/engine/client-job.js';
import {JobList} from '../../src/engine/job-list.js';
import {PeerSlots} from '../../src/engine/peer-slots.js';
import {waitFor} from '../helpers/socket-pair.js';
import {logs} from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
	for (const cleanup of cleanups.splice(0)) cleanup();
});

function job(id: number, options: {expectsReply?: boolean; timeoutMs?: number} = {}): ClientJob {
	const {expectsReply = true, timeoutMs = 1000} = options;
	return createClientJob({id, method: `m${id}`, tag: `t${id}`, encoded: undefined, timeoutMs, deadline: 0, expectsReply, resolve: ignore, reject: ignore});
}

function setup() {
	const bus = new EventBus('host');
	const events: EngineEvent[] = [];
	cleanups.push(bus.subscribe(event => events.push(event)));
	const graceOver: string[] = [];
	const slots = new PeerSlots(reason => graceOver.push(reason));
	cleanups.push(() => {
		slots.clear();
	});
	const outstanding = new JobList(outstandingSlot);
	let kicks = 0;
	const matcher = new AnswerMatcher({bus, kick: () => kicks++}, outstanding, slots);
	return {matcher, outstanding, slots, graceOver, logs: () => logs(events), kicks: () => kicks};
}

describe('AnswerMatcher', () => {
	it('finds the live request by its key, and leaves the lists as they are', () => {
		const {matcher, outstanding, logs, kicks} = setup();
		const [first, second] = [job(1), job(2)];
		outstanding.add(first);
		outstanding.add(second);
		expect(matcher.match('t2')).toBe(second);
		expect(matcher.match('t1')).toBe(first);
		expect(outstanding.size).toBe(2);
		expect([logs(), kicks()]).toEqual([[], 0]);
	});

	it('drops an answer with a key it never gave out, with a warning that quotes the key on one line', () => {
		const {matcher, outstanding, logs, kicks} = setup();
		outstanding.add(job(1));
		expect(matcher.match('t9\n"x')).toBeUndefined();
		expect(logs()).toEqual(['host: response with unknown tag "t9\\n\\"x" dropped']);
		expect(kicks()).toBe(0);
	});

	it('a late answer to a request given up on frees its slot and kicks, once', () => {
		const {matcher, slots, logs, kicks} = setup();
		matcher.awaitLate(job(3));
		expect(slots.size).toBe(1);
		expect(matcher.match('t3')).toBeUndefined();
		expect(slots.size).toBe(0);
		expect(kicks()).toBe(1);
		expect(matcher.match('t3')).toBeUndefined();
		expect(logs()).toEqual(['host: late response for tag t3 dropped (its job already failed)', 'host: response with unknown tag "t3" dropped']);
		expect(kicks()).toBe(1);
	});

	it('a no-reply request given up on holds no slot: the peer sends it no answer', () => {
		const {matcher, slots} = setup();
		matcher.awaitLate(job(4, {expectsReply: false}));
		expect(slots.size).toBe(0);
	});

	it('an untagged answer: the one request outstanding, else the one given-up request held, else dropped', () => {
		const {matcher, outstanding, slots, logs, kicks} = setup();
		const live = job(5);
		outstanding.add(live);
		matcher.awaitLate(job(6));
		expect(matcher.match(undefined)).toBe(live);
		outstanding.delete(live);
		expect(matcher.match(undefined)).toBeUndefined();
		expect([slots.size, kicks()]).toEqual([0, 1]);
		expect(matcher.match(undefined)).toBeUndefined();
		outstanding.add(job(7));
		outstanding.add(job(8));
		expect(matcher.match(undefined)).toBeUndefined();
		expect(logs()).toEqual([
			'host: late response for tag t6 dropped (its job already failed)',
			'host: untagged response with no request in flight: dropped',
			'host: untagged response with no request in flight: dropped',
		]);
	});

	it('no late answer within twice the job timeout: the grace period is over', async () => {
		const {matcher, slots, graceOver} = setup();
		matcher.awaitLate(job(9, {timeoutMs: 15}));
		await waitFor(() => graceOver.length > 0);
		expect(graceOver).toEqual(['no late answer to m9 (tag t9) within 30ms']);
		expect(slots.size).toBe(0);
	});
});
