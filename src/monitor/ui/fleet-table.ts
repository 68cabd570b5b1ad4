/**
 * The screen's fleet table, pure: how many rows it takes on this window, which guests are in
 * view (the focused one always is; PageUp/PageDown move the window), and each row's words.
 * One row per guest, cut at the window's edge like every other line; names are safe already
 * (fleet/guest-spec.ts safeName).
 */
import {age} from '../format.js';
import {guestState, type GuestRow, type GuestState} from '../fleet/guest-rows.js';
import {frameBudget} from './live-terminal.js';
import type {Colour, Segment} from './screen-text.js';

export const guestStateColor: {readonly [S in GuestState]: Colour} = {
	ready: 'green',
	connected: 'cyan',
	connecting: 'yellow',
	detecting: 'yellow',
	listening: 'yellow',
	retrying: 'yellow',
	down: 'red',
};

/** The table's share of the window: a third of it at most, and none on a window too short for the panels too. */
export function fleetTableHeight(guests: number, rows: number): number {
	const budget = frameBudget(rows);
	if (budget < 9) {
		return 0;
	}

	return 1 + Math.max(1, Math.min(guests, Math.floor(budget / 3) - 1));
}

/**
 * The first guest in view: where the operator scrolled to (PgUp/PgDn), clamped; or, until they
 * scroll (and again after `use`), the page that holds the focused guest.
 */
export function tableStart(guests: number, shown: number, focus: number, scrolled: number | undefined): number {
	const last = Math.max(0, guests - shown);
	if (scrolled !== undefined) {
		return Math.max(0, Math.min(scrolled, last));
	}

	return focus < 0 || shown <= 0 ? 0 : Math.min(Math.floor(focus / shown) * shown, last);
}

/** `guests 30: 27 ready, 2 retrying, 1 down · 9-15 (PgUp/PgDn)`. */
export function tableTitle(rows: readonly GuestRow[], start: number, shown: number): Segment[] {
	const counts = new Map<GuestState, number>();
	for (const row of rows) {
		const state = guestState(row);
		counts.set(state, (counts.get(state) ?? 0) + 1);
	}

	const segments: Segment[] = [{text: `guests ${rows.length}`, bold: true}];
	for (const [index, [state, count]] of [...counts].entries()) {
		segments.push({text: index === 0 ? ': ' : ', '}, {text: `${count} ${state}`, color: guestStateColor[state]});
	}

	if (rows.length > shown) {
		segments.push({text: ` · ${start + 1}-${start + shown} (PgUp/PgDn)`, dim: true});
	}

	return rows.length === 0 ? [{text: 'guests: none yet', dim: true}] : segments;
}

/** `▸ web1      ready      q 0/5  rtt 2ms   failed 0`. */
export function tableRow(row: GuestRow, focused: boolean, nameWidth: number): Segment[] {
	const state = guestState(row);
	const retry = row.connection.state === 'retrying' ? ` ${row.connection.attempt}` : '';
	return [
		{text: focused ? '▸ ' : '  ', bold: true},
		{text: row.name.padEnd(nameWidth), bold: focused},
		{text: ` ${`${state}${retry}`.padEnd(12)}`, color: guestStateColor[state]},
		{text: ` q ${`${row.queue}/${row.queueLimit}`.padEnd(6)}`, ...(row.queue > 0 ? {color: 'cyan' as const} : {})},
		{text: ` rtt ${(row.lastRoundTripMs === undefined ? '-' : age(row.lastRoundTripMs)).padEnd(7)}`, dim: true},
		{text: ` failed ${row.failures}`, ...(row.failures > 0 ? {color: 'red' as const} : {dim: true})},
		{text: ` ${row.protocol}`, dim: true},
	];
}

/** Names are cut to this in the table (whole in `guests`). */
export const tableNameMax = 20;

export function tableNameWidth(rows: readonly GuestRow[]): number {
	return Math.min(tableNameMax, Math.max(4, ...rows.map(row => row.name.length)));
}
