import {describe, expect, it} from 'vitest';
import {summarize, labelled} from '../../../src/monitor/fleet/fan-out.js';
import type {FleetGuest} from '../../../src/monitor/fleet/fleet.js';
import {matchGuests, noMatch, splitTarget} from '../../../src/monitor/fleet/targets.js';
import type {CommandOutcome} from '../../../src/monitor/session-api.js';

const guests = ['web1', 'web2', 'web10', 'db1', 'db2', 'a*b'].map(name => ({name}) as FleetGuest);
const names = (target: string) => matchGuests(guests, target).map(guest => guest.name);

describe('@TARGET', () => {
	it('splits the target from the line', () => {
		expect(splitTarget('@web* agent_ping')).toEqual({target: 'web*', line: 'agent_ping'});
		expect(splitTarget('  @all   info queues ')).toEqual({target: 'all', line: 'info queues'});
		expect(splitTarget('@db1')).toEqual({target: 'db1', line: ''});
		expect(splitTarget('agent_ping @x')).toBeUndefined();
	});

	it('matches all, exact names and globs against whole names', () => {
		expect(names('all')).toHaveLength(6);
		expect(names('web1')).toEqual(['web1']);
		expect(names('web*')).toEqual(['web1', 'web2', 'web10']);
		expect(names('web?')).toEqual(['web1', 'web2']);
		expect(names('*1')).toEqual(['web1', 'db1']);
		expect(names('[dw]*2')).toEqual(['web2', 'db2']);
		expect(names('db[1-1]')).toEqual(['db1']);
		expect(names('[!w]*')).toEqual(['db1', 'db2', 'a*b']);
		expect(names('web')).toEqual([]);
		// A name that looks like a glob is itself first.
		expect(names('a*b')).toEqual(['a*b']);
		expect(names('*')).toHaveLength(6);
		expect(names('w*e*b*1*0')).toEqual(['web10']);
	});

	it('answers a glob of many stars against a long name without backtracking blow-up', () => {
		const long = [{name: 'a'.repeat(64)} as FleetGuest];
		expect(matchGuests(long, `${'a*'.repeat(200)}b`)).toEqual([]);
		expect(matchGuests(long, `${'*a'.repeat(64)}`)).toHaveLength(1);
	});

	it('names the guests there are when a target matches none (escaped)', () => {
		expect(noMatch('x\u001B[2J', guests)).toBe("no guest matches 'x\\x1b[2J' (guests: web1, web2, web10, db1, db2, a*b)");
		expect(noMatch('x', [])).toBe("no guest matches 'x' (no guests yet)");
	});
});

describe('fan-out results', () => {
	const ok: CommandOutcome = {ok: true, command: 'agent_ping', value: {}, text: 'ok', ms: 1};
	const timedOut: CommandOutcome = {
		ok: false,
		command: 'agent_ping',
		error: {class: 'VirtagentFailed', desc: 'x', data: {code: 'ETIMEDOUT', message: 'x'}},
		text: 'error: ETIMEDOUT',
		ms: 1,
	};

	it('labels each guest and closes with a summary naming the failures', () => {
		expect(labelled('web1', ok).text).toBe('web1: ok');
		expect(labelled('web1', {...ok, text: 'a\nb\n'}).text).toBe('web1:\n  a\n  b');
		expect(summarize([labelled('web1', ok), labelled('db2', timedOut), labelled('web2', ok)])).toBe('2 ok, 1 failed: db2 ETIMEDOUT');
		const many = Array.from({length: 13}, (_, index) => labelled(`g${index}`, timedOut));
		expect(summarize(many)).toBe(
			`0 ok, 13 failed: ${many
				.slice(0, 10)
				.map(part => `${part.guest!} ETIMEDOUT`)
				.join(', ')}, and 3 more`,
		);
	});
});
