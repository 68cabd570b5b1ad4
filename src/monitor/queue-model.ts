/**
 * The monitor's picture of the job engine, folded from EngineEvents alone (PROTOCOL.md §4:
 * "the monitor's live view and the transition log are built from these events alone").
 *
 * Pure: `foldEvent(model, event)` returns a new model (or the same one when the event changes
 * nothing) and never mutates its input, so a React state can hold it as is. Cheap: each fold
 * copies at most the active jobs of one side (bounded by the queue limits and `jobsMax`) and the
 * short `recent` list; the transition log is a persistent list with amortised O(1) appends and
 * at most 2 × `transitionsMax` entries alive.
 */
import {describeJob, describeTransition} from '../engine/describe.js';
import type {ChannelEvent, EngineEvent, JobEvent, JobStatus, StateEvent} from '../engine/events.js';
import {isFinished, type ClientState, type ServerState, type Side} from '../engine/states.js';
import {escapeLine} from './escape.js';

export type JobRow = {
	readonly id: number;
	readonly side: Side;
	/** As sent or received: for server jobs this name comes from the guest (escape it). */
	readonly method: string;
	readonly tag: string | undefined;
	readonly status: JobStatus;
	/** When the job was created (ms since epoch): its age is `now - createdAt`. */
	readonly createdAt: number;
	readonly updatedAt: number;
	readonly error?: {readonly code: string | number; readonly message: string};
};

export type SideQueue = {
	/** Jobs not yet done or failed, oldest first. */
	readonly jobs: readonly JobRow[];
	/** Queue length and limit as the engine last reported them. */
	readonly queued: number;
	readonly limit: number;
	readonly done: number;
	readonly failed: number;
	/** The last finished jobs, newest first (at most `recentMax`). */
	readonly recent: readonly JobRow[];
};

/** What a transition-log entry records: the engine's own event, kept as data. */
export type LoggedEvent = StateEvent | JobEvent | ChannelEvent;

export type TransitionEntry = {
	/** 1, 2, 3… in arrival order. */
	readonly seq: number;
	readonly at: number;
	readonly kind: LoggedEvent['type'];
	readonly event: LoggedEvent;
	/** One line, terminal-safe (method names from the guest are escaped); built when first read. */
	readonly text: string;
};

/** A persistent list, newest first; `size` counts the cells reachable from here. */
type Cell = {readonly entry: TransitionEntry; readonly next: Cell | undefined; readonly size: number};

export type ChannelView = {
	readonly status: 'none' | 'up' | 'down';
	readonly label: string | undefined;
	readonly at: number | undefined;
	readonly reason: string | undefined;
};

export type QueueModel = {
	readonly clientState: ClientState;
	readonly serverState: ServerState;
	readonly client: SideQueue;
	readonly server: SideQueue;
	readonly channel: ChannelView;
	/** Events folded so far (wire and log events included). */
	readonly eventCount: number;
	readonly transitionsMax: number;
	readonly recentMax: number;
	readonly jobsMax: number;
	readonly transitionCount: number;
	/** Internal: read it with `latestTransitions`. */
	readonly transitionLog: Cell | undefined;
};

export type QueueModelOptions = {
	/** Transitions kept for `info transitions` (default 200). */
	readonly transitionsMax?: number;
	/** Finished jobs kept per side (default 8). */
	readonly recentMax?: number;
	/** Active jobs kept per side, a guard against a runaway peer (default 128). */
	readonly jobsMax?: number;
	readonly clientLimit?: number;
	readonly serverLimit?: number;
};

function emptySide(limit: number): SideQueue {
	return {jobs: [], queued: 0, limit, done: 0, failed: 0, recent: []};
}

export function initialQueueModel(options: QueueModelOptions = {}): QueueModel {
	return {
		clientState: 'IDLE',
		serverState: 'IDLE',
		client: emptySide(options.clientLimit ?? 5),
		server: emptySide(options.serverLimit ?? 1),
		channel: {status: 'none', label: undefined, at: undefined, reason: undefined},
		eventCount: 0,
		transitionsMax: Math.max(1, options.transitionsMax ?? 200),
		recentMax: Math.max(0, options.recentMax ?? 8),
		jobsMax: Math.max(1, options.jobsMax ?? 128),
		transitionCount: 0,
		transitionLog: undefined,
	};
}

/** Fold one engine event into the model. */
export function foldEvent(model: QueueModel, event: EngineEvent): QueueModel {
	// One new model per event, built in one step (this runs ~13 times per round trip).
	switch (event.type) {
		case 'state': {
			return withTransition(model, event, event.side === 'client' ? {clientState: event.to as ClientState} : {serverState: event.to as ServerState});
		}

		case 'job': {
			return withTransition(
				model,
				event,
				event.side === 'client' ? {client: foldJob(model.client, event, model)} : {server: foldJob(model.server, event, model)},
			);
		}

		case 'channel': {
			return withTransition(model, event, {channel: {status: event.status, label: event.label, at: event.at, reason: event.reason}});
		}

		default: {
			return {...model, eventCount: model.eventCount + 1};
		}
	}
}

/** An entry's line: `client IDLE→SEND #7 va.getfile`, `channel up unix:/x`; terminal-safe. */
export function describeEntry(event: LoggedEvent): string {
	switch (event.type) {
		case 'state': {
			return escapeLine(describeTransition(event));
		}

		case 'job': {
			return escapeLine(describeJob(event));
		}

		case 'channel': {
			const reason = event.reason === undefined ? '' : ` (${event.reason})`;
			return escapeLine(`channel ${event.status} ${event.label}${reason}`);
		}
	}
}

/** A failed job's entry (the live log keeps those beside the state changes). */
export function isFailure(entry: TransitionEntry): boolean {
	// Cancelled and expired jobs are failures with a named cause.
	return entry.event.type === 'job' && isFinished(entry.event.to) && entry.event.to !== 'done';
}

/** A class, not a literal with a getter: one of these per engine event, ~13 per round trip. */
class Entry implements TransitionEntry {
	readonly seq: number;
	readonly at: number;
	readonly kind: LoggedEvent['type'];
	readonly event: LoggedEvent;
	#text: string | undefined;

	constructor(seq: number, event: LoggedEvent) {
		this.seq = seq;
		this.at = event.at;
		this.kind = event.type;
		this.event = event;
	}

	// Most entries are never shown: render them only when a view asks.
	get text(): string {
		this.#text ??= describeEntry(this.event);
		return this.#text;
	}
}

function transitionEntry(seq: number, event: LoggedEvent): TransitionEntry {
	return new Entry(seq, event);
}

/** Fold many events (a convenience for tests and for replaying a log). */
export function foldEvents(model: QueueModel, events: Iterable<EngineEvent>): QueueModel {
	let current = model;
	for (const event of events) {
		current = foldEvent(current, event);
	}

	return current;
}

/** The latest `count` transitions (default: all kept), oldest first. */
export function latestTransitions(model: QueueModel, count = model.transitionsMax): readonly TransitionEntry[] {
	const wanted = Math.min(count, model.transitionsMax);
	const entries: TransitionEntry[] = [];
	for (let cell = model.transitionLog; cell && entries.length < wanted; cell = cell.next) {
		entries.push(cell.entry);
	}

	return entries.reverse();
}

function withTransition(
	model: QueueModel,
	event: LoggedEvent,
	changes: Partial<Pick<QueueModel, 'clientState' | 'serverState' | 'client' | 'server' | 'channel'>>,
): QueueModel {
	const seq = model.transitionCount + 1;
	let log: Cell = {entry: transitionEntry(seq, event), next: model.transitionLog, size: (model.transitionLog?.size ?? 0) + 1};
	if (log.size > model.transitionsMax * 2) {
		// Rebuild the newest `transitionsMax` cells so the older ones can be collected: O(max)
		// once every `max` events, amortised O(1).
		log = truncate(log, model.transitionsMax);
	}

	// Every field written out: a literal of one shape is several times cheaper than spreading two objects.
	return {
		clientState: changes.clientState ?? model.clientState,
		serverState: changes.serverState ?? model.serverState,
		client: changes.client ?? model.client,
		server: changes.server ?? model.server,
		channel: changes.channel ?? model.channel,
		eventCount: model.eventCount + 1,
		transitionsMax: model.transitionsMax,
		recentMax: model.recentMax,
		jobsMax: model.jobsMax,
		transitionCount: seq,
		transitionLog: log,
	};
}

function truncate(log: Cell, keep: number): Cell {
	const entries: TransitionEntry[] = [];
	for (let cell: Cell | undefined = log; cell && entries.length < keep; cell = cell.next) {
		entries.push(cell.entry);
	}

	let rebuilt: Cell | undefined;
	for (let index = entries.length - 1; index >= 0; index--) {
		rebuilt = {entry: entries[index]!, next: rebuilt, size: (rebuilt?.size ?? 0) + 1};
	}

	return rebuilt!;
}

function foldJob(side: SideQueue, event: JobEvent, model: QueueModel): SideQueue {
	const index = side.jobs.findIndex(job => job.id === event.jobId);
	const previous = index >= 0 ? side.jobs[index] : undefined;
	const row: JobRow = {
		id: event.jobId,
		side: event.side,
		method: event.method,
		tag: event.tag,
		status: event.to,
		createdAt: previous?.createdAt ?? event.at,
		updatedAt: event.at,
		...(event.error ? {error: event.error} : {}),
	};
	const finished = isFinished(event.to);
	let jobs: readonly JobRow[];
	if (finished) {
		jobs = index >= 0 ? side.jobs.filter(job => job.id !== event.jobId) : side.jobs;
	} else if (index >= 0) {
		jobs = side.jobs.map(job => (job.id === event.jobId ? row : job));
	} else {
		jobs = side.jobs.length >= model.jobsMax ? [...side.jobs.slice(1), row] : [...side.jobs, row];
	}

	return {
		jobs,
		queued: event.queued,
		limit: event.limit,
		done: side.done + (event.to === 'done' ? 1 : 0),
		// Cancelled and expired jobs are failures with a named cause.
		failed: side.failed + (finished && event.to !== 'done' ? 1 : 0),
		recent: finished && model.recentMax > 0 ? [row, ...side.recent.slice(0, model.recentMax - 1)] : side.recent,
	};
}
