import {escapeLine} from './escape.js';
import type {ConnectionState} from './session-api.js';

/** `14:03:07.123`, local time. */
export function clock(at: number): string {
	const date = new Date(at);
	const two = (n: number) => String(n).padStart(2, '0');
	return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** `0.25s`, `12s`, `3m05s`. */
export function age(ms: number): string {
	const clamped = Math.max(0, ms);
	if (clamped < 10_000) {
		return `${Number((clamped / 1000).toFixed(2))}s`;
	}

	const seconds = Math.round(clamped / 1000);
	return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** The one wording of a retry, wherever it is shown: `retrying in 4s (attempt 5): connect ENOENT …`. */
export function describeRetry(connection: {readonly attempt: number; readonly inMs: number; readonly reason: string}): string {
	return `retrying in ${age(connection.inMs)} (attempt ${connection.attempt}): ${escapeLine(connection.reason)}`;
}

/** `connected since 14:03:07.123 (2s)`, `retrying in 1s (attempt 3): connect ENOENT …`, `listening`. */
export function describeConnection(connection: ConnectionState, now: number): string {
	switch (connection.state) {
		case 'connected': {
			return `connected since ${clock(connection.since)} (${age(now - connection.since)})`;
		}

		case 'retrying': {
			return describeRetry(connection);
		}

		case 'disconnected': {
			return `disconnected (${escapeLine(connection.reason)})`;
		}

		default: {
			return connection.state;
		}
	}
}
