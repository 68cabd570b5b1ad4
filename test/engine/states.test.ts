import {describe, expect, it} from 'vitest';
import {clientJobTable, clientTable, isFinished, nextState, serverJobTable, serverTable, type Table, Transitions} from '../../src/engine/states.js';

/**
 * Every (state, trigger) pair of a table: where it leads, or `illegal`; the engine's compiled
 * form of the table (Transitions) must say the same for every pair.
 */
function everyMove<S extends string, T extends string>(table: Table<S, T>, triggers: readonly T[]): Record<string, string> {
	const moves: Record<string, string> = {};
	const compiled = new Transitions(table);
	for (const from of Object.keys(table) as S[]) {
		for (const trigger of triggers) {
			moves[`${from} ${trigger}`] = nextState(table, from, trigger) ?? 'illegal';
			expect(compiled.next(from, trigger) ?? 'illegal').toBe(moves[`${from} ${trigger}`]);
		}
	}

	return moves;
}

describe('client machine', () => {
	it('moves trigger by trigger as §4 says, and refuses everything else', () => {
		expect(everyMove(clientTable, ['send', 'sent', 'settled', 'reset'])).toEqual({
			'IDLE send': 'SEND',
			'IDLE sent': 'illegal',
			'IDLE settled': 'illegal',
			'IDLE reset': 'illegal',
			'SEND send': 'illegal',
			'SEND sent': 'WAIT',
			'SEND settled': 'illegal',
			'SEND reset': 'IDLE',
			'WAIT send': 'SEND',
			'WAIT sent': 'illegal',
			'WAIT settled': 'IDLE',
			'WAIT reset': 'IDLE',
		});
	});
});

describe('server machine', () => {
	it('moves trigger by trigger as §4 says, and refuses everything else', () => {
		expect(everyMove(serverTable, ['defer', 'send', 'sent', 'reset'])).toEqual({
			'IDLE defer': 'WAIT',
			'IDLE send': 'SEND',
			'IDLE sent': 'illegal',
			'IDLE reset': 'illegal',
			'WAIT defer': 'illegal',
			'WAIT send': 'SEND',
			'WAIT sent': 'illegal',
			'WAIT reset': 'IDLE',
			'SEND defer': 'illegal',
			'SEND send': 'illegal',
			'SEND sent': 'IDLE',
			'SEND reset': 'IDLE',
		});
	});
});

describe('client job statuses', () => {
	const triggers = ['hold', 'send', 'sent', 'succeed', 'fail', 'cancel', 'expire'] as const;
	const moves = everyMove(clientJobTable, triggers);

	it('queued → held → sending → waiting → done, each step by its trigger only', () => {
		expect(moves['queued hold']).toBe('held');
		expect(moves['queued send']).toBe('sending');
		expect(moves['held send']).toBe('sending');
		expect(moves['sending sent']).toBe('waiting');
		expect(moves['waiting succeed']).toBe('done');
		for (const illegal of [
			'queued sent',
			'queued succeed',
			'held hold',
			'held sent',
			'sending send',
			'sending succeed',
			'waiting send',
			'waiting sent',
			'waiting hold',
		]) {
			expect(moves[illegal], illegal).toBe('illegal');
		}
	});

	it('every live status can fail, be cancelled or expire; a finished job moves no more', () => {
		for (const from of ['queued', 'held', 'sending', 'waiting']) {
			expect([moves[`${from} fail`], moves[`${from} cancel`], moves[`${from} expire`]]).toEqual(['failed', 'cancelled', 'expired']);
		}

		for (const from of ['done', 'failed', 'cancelled', 'expired']) {
			expect(triggers.map(trigger => moves[`${from} ${trigger}`])).toEqual(triggers.map(() => 'illegal'));
			expect(isFinished(from as 'done')).toBe(true);
		}

		expect(['queued', 'held', 'sending', 'waiting'].some(status => isFinished(status as 'queued'))).toBe(false);
	});
});

describe('server job statuses', () => {
	it('running → ready → sending → done; any live status can fail (dropped); done and failed are final', () => {
		expect(everyMove(serverJobTable, ['answer', 'send', 'sent', 'fail'])).toEqual({
			'running answer': 'ready',
			'running send': 'illegal',
			'running sent': 'illegal',
			'running fail': 'failed',
			'ready answer': 'illegal',
			'ready send': 'sending',
			'ready sent': 'illegal',
			'ready fail': 'failed',
			'sending answer': 'illegal',
			'sending send': 'illegal',
			'sending sent': 'done',
			'sending fail': 'failed',
			'done answer': 'illegal',
			'done send': 'illegal',
			'done sent': 'illegal',
			'done fail': 'illegal',
			'failed answer': 'illegal',
			'failed send': 'illegal',
			'failed sent': 'illegal',
			'failed fail': 'illegal',
		});
	});
});
