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
		transitionsMax: Math.max(1, options.transitionsMax ?? 200),
		recentMax: Math.max(0, options.recentMax ?? 8),
		jobsMax: Math.max(1, options.jobsMax ?? 128),
		transitionCount: 0,
		transitionLog: undefined,
	};
}

/** Fold one engine event into the model. */
export function foldEvent(model: QueueModel, event: EngineEvent): QueueModel {
	return foldEvents(model, [event]);
}

/**
 * Fold many events into one new model, as folding them one at a time would (the session folds
 * lazily, a batch at a time: when the model is read). One model per batch, not one per event;
 * a transition that a batch pushes out of the kept log is counted but never built.
 */
export function foldEvents(model: QueueModel, events: Iterable<EngineEvent>): QueueModel {
	const batch = Array.isArray(events) ? (events as readonly EngineEvent[]) : [...events];
	if (batch.length === 0) {
		return model;
	}

	const client = new SideFold(model.client, model);
	const server = new SideFold(model.server, model);
	let {clientState, serverState, channel, transitionLog: log, transitionCount: seq} = model;
	let unbuilt = countLogged(batch) - model.transitionsMax;
	if (unbuilt >= 0) {
		log = undefined; // This batch alone fills the log: nothing older can be read again.
	}

	for (const event of batch) {
		switch (event.type) {
			case 'state': {
				if (event.side === 'client') {
					clientState = event.to as ClientState;
				} else {
					serverState = event.to as ServerState;
				}

				break;
			}

			case 'job': {
				(event.side === 'client' ? client : server).apply(event);
				break;
			}

			case 'channel': {
				channel = {status: event.status, label: event.label, at: event.at, reason: event.reason};
				break;
			}

			default: {
				continue; // Wire and log events are not the model's.
			}
		}

		seq++;
		if (unbuilt > 0) {
			unbuilt--;
		} else {
			log = appendEntry(log, new Entry(seq, event), model.transitionsMax);
		}
	}

	// Every field written out: a literal of one shape is several times cheaper than spreading two objects.
	return {
		clientState,
		serverState,
		client: client.result(),
		server: server.result(),
		channel,
		transitionsMax: model.transitionsMax,
		recentMax: model.recentMax,
		jobsMax: model.jobsMax,
		transitionCount: seq,
		transitionLog: log,
	};
}

function countLogged(events: readonly EngineEvent[]): number {
	let count = 0;
	for (const event of events) {
		if (isLoggedEvent(event)) {
			count++;
		}
	}

	return count;
}

/** The events the model is folded from: state, job and channel (not wire or log events). */
export function isLoggedEvent(event: EngineEvent): event is LoggedEvent {
	return event.type === 'state' || event.type === 'job' || event.type === 'channel';
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

/** The latest `count` transitions (default: all kept), oldest first. */
export function latestTransitions(model: QueueModel, count = model.transitionsMax): readonly TransitionEntry[] {
	const wanted = Math.min(count, model.transitionsMax);
	const entries: TransitionEntry[] = [];
	for (let cell = model.transitionLog; cell && entries.length < wanted; cell = cell.next) {
		entries.push(cell.entry);
	}

	return entries.reverse();
}

function appendEntry(log: Cell | undefined, entry: TransitionEntry, transitionsMax: number): Cell {
	const cell: Cell = {entry, next: log, size: (log?.size ?? 0) + 1};
	// Rebuild the newest `transitionsMax` cells so the older ones can be collected: O(max) once
	// every `max` entries, amortised O(1).
	return cell.size > transitionsMax * 2 ? truncate(cell, transitionsMax) : cell;
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

/**
 * An active job through a batch: its row is built once, at the batch's end, not at every move.
 * A class, so that every one has the same shape (two literals made two, and the fold deoptimized).
 */
class LiveJob {
	constructor(
		readonly id: number,
		readonly createdAt: number,
		/** Its latest event in this batch; undefined while `row` (from the model) is current. */
		public event: JobEvent | undefined,
		public row: JobRow | undefined,
	) {}
}

/** Where the job with this id is among the active ones (newest last: search from the end), or -1. */
function indexOfJob(jobs: readonly LiveJob[], id: number): number {
	for (let index = jobs.length - 1; index >= 0; index--) {
		if (jobs[index]!.id === id) {
			return index;
		}
	}

	return -1;
}

function rowOf(event: JobEvent, createdAt: number): JobRow {
	// Two literals, not a spread of an optional field.
	return event.error
		? {id: event.jobId, side: event.side, method: event.method, tag: event.tag, status: event.to, createdAt, updatedAt: event.at, error: event.error}
		: {id: event.jobId, side: event.side, method: event.method, tag: event.tag, status: event.to, createdAt, updatedAt: event.at};
}

/**
 * One side's queue through a batch. Rows are built at the end, for what is then active and the
 * newest `recentMax` finished: a ping's four job events made four rows, all of them garbage
 * before anyone could read one (a batch is ~150 pings).
 */
class SideFold {
	readonly #side: SideQueue;
	readonly #recentMax: number;
	readonly #jobsMax: number;
	#jobs: LiveJob[] | undefined;
	/** Jobs finished in this batch, oldest first: their last events and creation times. */
	readonly #finished: JobEvent[] = [];
	readonly #finishedCreatedAt: number[] = [];
	#queued: number;
	#limit: number;
	#done: number;
	#failed: number;

	constructor(side: SideQueue, model: QueueModel) {
		this.#side = side;
		this.#recentMax = model.recentMax;
		this.#jobsMax = model.jobsMax;
		this.#queued = side.queued;
		this.#limit = side.limit;
		this.#done = side.done;
		this.#failed = side.failed;
	}

	apply(event: JobEvent): void {
		const jobs = (this.#jobs ??= this.#side.jobs.map(row => new LiveJob(row.id, row.createdAt, undefined, row)));
		const index = indexOfJob(jobs, event.jobId);
		if (isFinished(event.to)) {
			this.#finished.push(event);
			this.#finishedCreatedAt.push(index >= 0 ? jobs[index]!.createdAt : event.at);
			if (index === jobs.length - 1) {
				jobs.pop();
			} else if (index >= 0) {
				jobs.splice(index, 1);
			}

			if (event.to === 'done') {
				this.#done++;
			} else {
				// Cancelled and expired jobs are failures with a named cause.
				this.#failed++;
			}
		} else if (index >= 0) {
			const live = jobs[index]!;
			live.event = event;
			live.row = undefined;
		} else {
			if (jobs.length >= this.#jobsMax) {
				jobs.shift();
			}

			jobs.push(new LiveJob(event.jobId, event.at, event, undefined));
		}

		this.#queued = event.queued;
		this.#limit = event.limit;
	}

	/** The side after the batch: the same object when no job of this side moved. */
	result(): SideQueue {
		if (this.#jobs === undefined) {
			return this.#side;
		}

		const jobs = this.#jobs.map(live => live.row ?? rowOf(live.event!, live.createdAt));
		return {jobs, queued: this.#queued, limit: this.#limit, done: this.#done, failed: this.#failed, recent: this.#recent()};
	}

	/** The newest `recentMax` finished jobs, newest first: this batch's, then the model's. */
	#recent(): readonly JobRow[] {
		const finished = this.#finished;
		if (finished.length === 0 || this.#recentMax === 0) {
			return this.#side.recent;
		}

		const recent: JobRow[] = [];
		for (let index = finished.length - 1; index >= 0 && recent.length < this.#recentMax; index--) {
			recent.push(rowOf(finished[index]!, this.#finishedCreatedAt[index]!));
		}

		for (let index = 0; index < this.#side.recent.length && recent.length < this.#recentMax; index++) {
			recent.push(this.#side.recent[index]!);
		}

		return recent;
	}
}
