import {describe, expect, it} from 'vitest';
import {clientTransitions, isAllowed, serverTransitions, type EngineState} from '../../src/engine/states.js';

const clientStates = ['IDLE', 'SEND', 'WAIT'] as const;
const serverStates = ['IDLE', 'WAIT', 'SEND'] as const;

describe('client transition table', () => {
	const expected: Record<string, boolean> = {
		'IDLE→SEND': true,
		'SEND→WAIT': true,
		'WAIT→IDLE': true,
		'SEND→IDLE': false, // reset only
		'IDLE→WAIT': false,
		'WAIT→SEND': false,
		'IDLE→IDLE': false,
		'SEND→SEND': false,
		'WAIT→WAIT': false,
	};
	for (const from of clientStates) {
		for (const to of clientStates) {
			it(`${from}→${to} is ${expected[`${from}→${to}`] ? 'allowed' : 'refused'}`, () => {
				expect(isAllowed('client', from, to)).toBe(expected[`${from}→${to}`]);
			});
		}
	}

	it('allows SEND→IDLE and WAIT→IDLE on a reset, nothing else new', () => {
		expect(isAllowed('client', 'SEND', 'IDLE', true)).toBe(true);
		expect(isAllowed('client', 'WAIT', 'IDLE', true)).toBe(true);
		expect(isAllowed('client', 'IDLE', 'WAIT', true)).toBe(false);
	});

	it('lists every state', () => {
		expect(Object.keys(clientTransitions).sort()).toEqual([...clientStates].sort());
	});
});

describe('server transition table', () => {
	const expected: Record<string, boolean> = {
		'IDLE→WAIT': true,
		'IDLE→SEND': true,
		'WAIT→SEND': true,
		'SEND→IDLE': true,
		'WAIT→IDLE': false, // reset only
		'SEND→WAIT': false,
		'IDLE→IDLE': false,
		'WAIT→WAIT': false,
		'SEND→SEND': false,
	};
	for (const from of serverStates) {
		for (const to of serverStates) {
			it(`${from}→${to} is ${expected[`${from}→${to}`] ? 'allowed' : 'refused'}`, () => {
				expect(isAllowed('server', from as EngineState, to as EngineState)).toBe(expected[`${from}→${to}`]);
			});
		}
	}

	it('allows WAIT→IDLE on a reset', () => {
		expect(isAllowed('server', 'WAIT', 'IDLE', true)).toBe(true);
		expect(Object.keys(serverTransitions).sort()).toEqual([...serverStates].sort());
	});
});
