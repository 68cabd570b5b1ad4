import {escapeLine} from './escape.js';
import type {ConnectionState} from './session-api.js';

/** `14:03:07.123` (or `14:03:07`), local time. */
export function clock(at: number, withMs = true): string {
	const date = new Date(at);
	const pad = (value: number, width = 2) => String(value).padStart(width, '0');
	const seconds = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
	return withMs ? `${seconds}.${pad(date.getMilliseconds(), 3)}` : seconds;
}

/**
 * A duration or an age, the one way every view shows it (queue panel, `info`, the status
 * line, messages): `850ms`, `4.2s`, `3m05s`.
 */
export function age(ms: number): string {
	const clamped = Math.max(0, ms);
	if (clamped < 1000) {
		return `${Math.round(clamped)}ms`;
	}

	if (clamped < 60_000) {
		return `${(clamped / 1000).toFixed(1)}s`;
	}

	const seconds = Math.floor(clamped / 1000);
	return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** The one wording of a retry, wherever it is shown: `retrying in 4s (attempt 5): connect ENOENT …`. */
export function describeRetry(connection: {readonly attempt: number; readonly inMs: number; readonly reason: string}): string {
	return `retrying in ${age(connection.inMs)} (attempt ${connection.attempt}): ${escapeLine(connection.reason)}`;
}

/**
 * `--protocol auto` on a stream whose guest has not answered the probe yet: a booting VM, or a
 * qemu-ga that serves another client (libvirtd holds every managed domain's agent socket).
 */
export function describeDetecting(connection: {readonly since: number; readonly probes: number}, now: number): string {
	const silent = now - connection.since;
	return `detecting the guest agent: no answer to ${connection.probes} probe${connection.probes === 1 ? '' : 's'} in ${age(silent)} (a guest still booting, or qemu-ga held by another client)`;
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

		case 'detecting': {
			return describeDetecting(connection, now);
		}

		default: {
			return connection.state;
		}
	}
}
