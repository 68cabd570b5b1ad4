/**
 * `guests` as text and JSON. Every cell is one line and terminal-safe: names are made safe when
 * the fleet gives them (guest-spec.ts safeName), connection reasons are escaped here.
 */
import type {CommandResult} from '../command.js';
import {escapeLine} from '../escape.js';
import {age, clock} from '../format.js';
import {guestState, type GuestRow} from './guest-rows.js';

const headings = ['', 'name', 'protocol', 'connection', 'ready since', 'queue', 'last rtt', 'failures'] as const;

/** `retrying 3: connect ENOENT …` cut to one short cell. */
function connectionCell(row: GuestRow): string {
	const {connection} = row;
	const state = guestState(row);
	if (connection.state === 'retrying') {
		return `${state} ${connection.attempt}: ${escapeLine(connection.reason).slice(0, 40)}`;
	}

	return connection.state === 'disconnected' ? `${state}: ${escapeLine(connection.reason).slice(0, 40)}` : state;
}

export function guestCells(row: GuestRow, target: string | undefined, now: number): string[] {
	return [
		row.name === target ? '*' : '',
		row.name,
		row.protocol,
		connectionCell(row),
		row.readySince === undefined ? '-' : `${clock(row.readySince, false)} (${age(now - row.readySince)})`,
		`${row.queue}/${row.queueLimit}`,
		row.lastRoundTripMs === undefined ? '-' : age(row.lastRoundTripMs),
		String(row.failures),
	];
}

export function guestsTable(rows: readonly GuestRow[], target: string | undefined, now: number): CommandResult {
	if (rows.length === 0) {
		return {value: {guests: []}, text: '(no guests yet)'};
	}

	const table = [[...headings], ...rows.map(row => guestCells(row, target, now))];
	const widths = headings.map((_, column) => Math.max(...table.map(cells => cells[column]!.length)));
	const text = table
		.map(cells =>
			cells
				.map((cell, column) => cell.padEnd(widths[column]!))
				.join('  ')
				.trimEnd(),
		)
		.join('\n');
	const value = {
		guests: rows.map(row => ({
			name: row.name,
			target: row.name === target,
			protocol: row.protocol,
			channel: row.channel,
			state: guestState(row),
			readySince: row.readySince === undefined ? null : new Date(row.readySince).toISOString(),
			queue: row.queue,
			queueLimit: row.queueLimit,
			lastRoundTripMs: row.lastRoundTripMs ?? null,
			failures: row.failures,
		})),
	};
	return {value, text};
}
