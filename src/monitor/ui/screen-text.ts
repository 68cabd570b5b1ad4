/**
 * The words of the live region, as plain strings the layout can measure and both the screen
 * and the plain line mode can print. Guest text is escaped here, once.
 */
import type {JobStatus} from '../../engine/events.js';
import type {EngineState, Side} from '../../engine/states.js';
import {escapeLine} from '../escape.js';
import type {JobRow, SideQueue} from '../queue-model.js';
import type {ConnectionState, GuestInfo, SessionStatus} from '../session-api.js';
import type {GuestProtocol} from '../qga/protocol-switch.js';
import {age, clockTime} from './format.js';

export type Colour = 'green' | 'yellow' | 'cyan' | 'red' | 'gray' | 'blue' | 'magenta' | undefined;

/** A run of text with one style. */
export type Segment = {
	readonly text: string;
	readonly color?: Colour;
	readonly bold?: boolean;
	readonly dim?: boolean;
};

export const stateColor: {readonly [S in EngineState]: Colour} = {IDLE: 'green', SEND: 'yellow', WAIT: 'cyan'};

export const statusColor: {readonly [S in JobStatus]?: Colour} = {
	queued: 'gray',
	sending: 'yellow',
	waiting: 'cyan',
	running: 'magenta',
	ready: 'yellow',
	failed: 'red',
};

export function width(segments: readonly Segment[]): number {
	return segments.reduce((sum, segment) => sum + segment.text.length, 0);
}

export function plainText(segments: readonly Segment[]): string {
	return segments.map(segment => segment.text).join('');
}

export function connectionText(connection: ConnectionState): Segment {
	switch (connection.state) {
		case 'connected': {
			return {text: '● connected', color: 'green'};
		}

		case 'connecting': {
			return {text: '○ connecting…', color: 'yellow'};
		}

		case 'listening': {
			return {text: '○ listening for the guest…', color: 'yellow'};
		}

		case 'retrying': {
			return {text: `○ retrying in ${age(connection.inMs)} (attempt ${connection.attempt}): ${escapeLine(connection.reason)}`, color: 'yellow'};
		}

		case 'disconnected': {
			return {text: `✕ disconnected: ${escapeLine(connection.reason)}`, color: 'red'};
		}

		case 'detecting': {
			// Counted as each probe goes out: the newest may still be answered, so "no answer yet".
			return {text: `○ detecting… ${connection.probes} probe${connection.probes === 1 ? '' : 's'}, no answer yet`, color: 'yellow'};
		}
	}
}

/**
 * What the guest said about itself; only while connected (an old hello says nothing now). A
 * virtagent guest says hello; qemu-ga never does, so its segment names it instead.
 */
export function guestText(guest: GuestInfo, connection: ConnectionState, protocol?: GuestProtocol): Segment | undefined {
	if (connection.state !== 'connected') {
		return undefined;
	}

	if (protocol === 'qga') {
		const version = guest.version === undefined ? '' : ` ${escapeLine(guest.version)}`;
		const commands =
			guest.methods === undefined ? ', commands not negotiated' : `, ${guest.methods.length} command${guest.methods.length === 1 ? '' : 's'} enabled`;
		return {text: `qemu-ga${version}${commands}`, color: guest.methods === undefined ? 'yellow' : undefined};
	}

	const hello = guest.helloAt === undefined ? 'no hello yet' : `said hello at ${clockTime(guest.helloAt, false)}`;
	const version = guest.version === undefined ? '' : `, version ${escapeLine(guest.version)}`;
	const methods = guest.methods === undefined ? ', methods not negotiated' : `, ${guest.methods.length} method${guest.methods.length === 1 ? '' : 's'}`;
	return {text: `guest ${hello}${version}${methods}`, color: guest.methods === undefined ? 'yellow' : undefined};
}

/** The status line's parts: channel, connection, and the guest while connected. */
export function statusParts(status: SessionStatus): Segment[] {
	const guest = guestText(status.guest, status.connection, status.protocol);
	return [{text: escapeLine(status.channel), bold: true}, connectionText(status.connection), ...(guest ? [guest] : [])];
}

export function joined(parts: readonly Segment[], gap = '  '): Segment[] {
	return parts.flatMap((part, index) => (index === 0 ? [part] : [{text: gap}, part]));
}

/** `client  WAIT  queue 3/5  done 12 failed 1`, with `gap` between its parts. */
export function headerSegments(side: Side, state: EngineState, queue: SideQueue, gap: string): Segment[] {
	return joined(
		[
			{text: side, bold: true},
			{text: state, color: stateColor[state], dim: state === 'IDLE', bold: state !== 'IDLE'},
			{text: `queue ${queue.queued}/${queue.limit}`, color: queue.queued >= queue.limit ? 'red' : undefined},
			{text: `done ${queue.done} failed ${queue.failed}`, dim: true},
		],
		gap,
	);
}

/** The header as wide as it may be: double-spaced when it fits, single-spaced otherwise. */
export function header(side: Side, state: EngineState, queue: SideQueue, room: number): Segment[] {
	const wide = headerSegments(side, state, queue, '  ');
	return width(wide) <= room ? wide : headerSegments(side, state, queue, ' ');
}

function cut(text: string, room: number): string {
	return text.length <= room ? text.padEnd(room) : `${text.slice(0, Math.max(0, room - 1))}…`;
}

/** `#14    va.getfile      waiting   0.4s`: fixed columns, the method cut to what is left. */
export function jobSegments(job: JobRow, now: number, room: number): Segment[] {
	const methodRoom = Math.max(4, room - 6 - 1 - 8 - 6);
	return [
		{text: `#${job.id}`.padEnd(6)},
		{text: `${cut(escapeLine(job.method), methodRoom)} `},
		{text: job.status.padEnd(8), color: statusColor[job.status]},
		{text: age(now - job.createdAt).padStart(6)},
	];
}

/** The jobs that have no row of their own: `+3 more: 2 queued, 1 waiting` (`3 jobs: …` when none has). */
export function moreJobs(jobs: readonly JobRow[], shown: number): Segment {
	const hidden = jobs.slice(shown);
	const counts = new Map<string, number>();
	for (const job of hidden) {
		counts.set(job.status, (counts.get(job.status) ?? 0) + 1);
	}

	const detail = [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
	return {text: shown === 0 ? `${hidden.length} job${hidden.length === 1 ? '' : 's'}: ${detail}` : `+${hidden.length} more: ${detail}`, dim: true};
}

/** `last: #6 va.getfile done in 86ms` (red with its error when it failed). */
export function lastJob(queue: SideQueue): Segment | undefined {
	const last = queue.recent[0];
	if (!last) {
		return undefined;
	}

	const error = last.error ? `: ${escapeLine(`${last.error.code} ${last.error.message}`)}` : '';
	const failed = last.status === 'failed';
	return {
		text: `last: #${last.id} ${escapeLine(last.method)} ${last.status} in ${age(last.updatedAt - last.createdAt)}${error}`,
		color: failed ? 'red' : undefined,
		dim: !failed,
	};
}

/** The smallest window's one line: `● connected  client WAIT 3/5  server IDLE 0/1`. */
export function summarySegments(status: SessionStatus, clientState: EngineState, client: SideQueue, serverState: EngineState, server: SideQueue): Segment[] {
	const side = (name: Side, state: EngineState, queue: SideQueue): Segment[] => [
		{text: `${name} `},
		{text: state, color: stateColor[state]},
		{text: ` ${queue.queued}/${queue.limit}`},
	];
	return [connectionText(status.connection), {text: '  '}, ...side('client', clientState, client), {text: '  '}, ...side('server', serverState, server)];
}
