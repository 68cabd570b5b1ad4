/**
 * The `guests` table and the screen's fleet table, from each guest's session alone: its
 * connection, when it became ready (negotiated), its client queue, the last round trip (the
 * newest finished job's time from creation to its answer) and the jobs that failed.
 */
import type {GuestRow} from '../fleet-api.js';
import type {FleetGuest} from './fleet.js';

export type {GuestRow} from '../fleet-api.js';

/** Short connection words for a table cell: `ready`, `connected`, `detecting` (auto: which protocol?), `retrying 3`, `down`. */
export type GuestState = 'ready' | 'connected' | 'connecting' | 'detecting' | 'retrying' | 'listening' | 'down';

export function guestState(row: GuestRow): GuestState {
	switch (row.connection.state) {
		case 'connected': {
			return row.readySince === undefined ? 'connected' : 'ready';
		}

		case 'disconnected': {
			return 'down';
		}

		default: {
			return row.connection.state;
		}
	}
}

export function guestRow(guest: FleetGuest): GuestRow {
	const {status, model} = guest.session;
	const last = model.client.recent[0];
	const ready = status.connection.state === 'connected' && status.guest.methods !== undefined;
	return {
		name: guest.name,
		protocol: status.protocol ?? guest.spec.protocol ?? 'auto',
		channel: status.channel,
		connection: status.connection,
		readySince: ready ? Math.max(status.guest.helloAt ?? 0, status.connection.state === 'connected' ? status.connection.since : 0) : undefined,
		queue: model.client.jobs.length,
		queueLimit: model.client.limit,
		lastRoundTripMs: last === undefined ? undefined : last.updatedAt - last.createdAt,
		failures: model.client.failed,
	};
}
