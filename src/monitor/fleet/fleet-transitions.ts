/**
 * `info transitions [NAME|GLOB|all] [N]` over a fleet: the latest transitions of every guest (or
 * of those named), one line each, the guest's name on each: `12:03:04.123 web1 client IDLE→SEND #7 va.ping`.
 */
import {CommandLineError} from '../parse-args.js';
import type {CommandResult} from '../command.js';
import {clock} from '../format.js';
import type {Fleet, FleetTransition} from './fleet.js';
import {matchGuests} from './targets.js';

const defaultCount = 20;

/** One line of the fleet's log; the entry's text is terminal-safe already, the name too. */
export function fleetLogLine({guest, entry}: FleetTransition): string {
	return `${guest} ${entry.text}`;
}

export function fleetTransitions(fleet: Fleet, target: string | undefined, count: string | undefined): CommandResult {
	const wanted = count === undefined ? defaultCount : Number(count);
	if (!Number.isInteger(wanted) || wanted < 1) {
		throw new CommandLineError(`info: invalid count '${count}' (expected a positive integer)`);
	}

	const names = target === undefined || target === 'all' ? undefined : new Set(matchGuests(fleet.guests, target).map(guest => guest.name));
	const entries = fleet.transitions(wanted, names === undefined ? undefined : name => names.has(name));
	const text = entries.length === 0 ? '(no transitions yet)' : entries.map(item => `${clock(item.entry.at)} ${fleetLogLine(item)}`).join('\n');
	const value = {
		transitions: entries.map(({guest, entry}) => ({guest, seq: entry.seq, at: new Date(entry.at).toISOString(), kind: entry.kind, text: entry.text})),
	};
	return {value, text};
}
