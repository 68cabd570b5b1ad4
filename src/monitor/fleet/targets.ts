/**
 * `@TARGET`: which guests a line runs on. `all`, a guest's name, or a glob (`web*`, `db?`,
 * `web[12]`, `[!d]*`), matched against whole names, with no regular expression built from what
 * the operator typed.
 */
import {escapeLine} from '../escape.js';
import type {UntimedOutcome} from '../session-api.js';
import type {FleetGuest} from './fleet.js';

/** `@web* agent_ping` → {target: 'web*', line: 'agent_ping'}; undefined when the line has no `@`. */
export function splitTarget(line: string): {readonly target: string; readonly line: string} | undefined {
	const trimmed = line.trimStart();
	if (!trimmed.startsWith('@')) {
		return undefined;
	}

	const end = trimmed.search(/\s/u);
	return end < 0 ? {target: trimmed.slice(1), line: ''} : {target: trimmed.slice(1, end), line: trimmed.slice(end + 1).trim()};
}

export function isPattern(target: string): boolean {
	return target === 'all' || /[*?[]/u.test(target);
}

type GlobToken = {readonly kind: 'star'} | {readonly kind: 'one'; readonly accepts: (char: string) => boolean};

/** `*`, `?`, `[abc]`, `[a-z]`, `[!x]` and literal characters; an unclosed `[` is literal. */
function compileGlob(glob: string): GlobToken[] {
	const tokens: GlobToken[] = [];
	const chars = [...glob];
	for (let index = 0; index < chars.length; index++) {
		const char = chars[index]!;
		const close = char === '[' ? chars.indexOf(']', index + 2) : -1;
		if (char === '*') {
			if (tokens.at(-1)?.kind !== 'star') {
				tokens.push({kind: 'star'});
			}
		} else if (char === '?') {
			tokens.push({kind: 'one', accepts: () => true});
		} else if (close > 0) {
			const negated = chars[index + 1] === '!';
			const body = chars.slice(index + (negated ? 2 : 1), close);
			tokens.push({kind: 'one', accepts: candidate => inClass(body, candidate) !== negated});
			index = close;
		} else {
			tokens.push({kind: 'one', accepts: candidate => candidate === char});
		}
	}

	return tokens;
}

function inClass(body: readonly string[], char: string): boolean {
	for (let index = 0; index < body.length; index++) {
		if (body[index + 1] === '-' && index + 2 < body.length) {
			if (char >= body[index]! && char <= body[index + 2]!) {
				return true;
			}

			index += 2;
		} else if (body[index] === char) {
			return true;
		}
	}

	return false;
}

/**
 * Wildcard matching without regular expressions: on a mismatch, go back to the last star and
 * let it take one more character. O(name × glob) at worst, whatever the glob.
 */
function globMatches(tokens: readonly GlobToken[], name: string): boolean {
	const chars = [...name];
	let t = 0;
	let c = 0;
	let starToken = -1;
	let starChar = 0;
	while (c < chars.length) {
		const token = tokens[t];
		if (token?.kind === 'one' && token.accepts(chars[c]!)) {
			t++;
			c++;
		} else if (token?.kind === 'star') {
			starToken = t++;
			starChar = c;
		} else if (starToken >= 0) {
			t = starToken + 1;
			c = ++starChar;
		} else {
			return false;
		}
	}

	while (tokens[t]?.kind === 'star') {
		t++;
	}

	return t === tokens.length;
}

/** The guests `target` names, in fleet order; an exact name wins over a glob reading of it. */
export function matchGuests(guests: readonly FleetGuest[], target: string): FleetGuest[] {
	if (target === 'all') {
		return [...guests];
	}

	const exact = guests.find(guest => guest.name === target);
	if (exact) {
		return [exact];
	}

	if (!isPattern(target)) {
		return [];
	}

	const tokens = compileGlob(target);
	return guests.filter(guest => globMatches(tokens, guest.name));
}

/** `no guest matches 'db*' (guests: web1, web2)`: the error for a target that names nobody. */
export function noMatch(target: string, guests: readonly FleetGuest[]): string {
	const names = guests.slice(0, 8).map(guest => guest.name);
	const more = guests.length > names.length ? `, … ${guests.length - names.length} more` : '';
	return guests.length === 0
		? `no guest matches '${escapeLine(target)}' (no guests yet)`
		: `no guest matches '${escapeLine(target)}' (guests: ${names.join(', ')}${more})`;
}

/** Why `@target line` cannot run (no target, no guest matched, no command), as its outcome; undefined when it can. */
export function addressFailure(target: string, command: string, guests: readonly FleetGuest[]): UntimedOutcome | undefined {
	if (target === '') {
		return failure(command, '@: a guest name, all or a pattern must follow @ (e.g. @all agent_ping)');
	}

	if (matchGuests(guests, target).length === 0) {
		return failure(command, noMatch(target, guests));
	}

	return command === '' ? failure('', `@${target}: a command must follow (e.g. @${target} agent_ping)`) : undefined;
}

export function failure(command: string, message: string): UntimedOutcome {
	return {ok: false, command, error: {class: 'GenericError', desc: message}, text: `error: ${message}`};
}
