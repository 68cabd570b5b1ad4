/**
 * The queue model kept up to date event by event, and read as an immutable QueueModel
 * (queue-model.ts) only when someone looks (the screen once a frame, `info`, a fleet's log).
 *
 * Why mutable inside: a ping makes ~7 engine events. Folding each into a new immutable model
 * cost a model per event; holding them to fold in batches kept thousands of events alive across
 * the collector's scavenges and rebuilt both sides once per batch. Here an event costs a few
 * field writes and one slot of the transition ring (transition-ring.ts); the rows, the log entries and the model are built when
 * read, and kept until the next event.
 */
import type {EngineEvent, JobEvent} from '../engine/events.js';
import {isFinished, type ClientState, type ServerState} from '../engine/states.js';
import type {ChannelView, JobRow, QueueModel, SideQueue, TransitionEntry} from './queue-model.js';
import {TransitionRing} from './transition-ring.js';

export class QueueTracker {
	readonly #transitionsMax: number;
	readonly #recentMax: number;
	readonly #jobsMax: number;
	#clientState: ClientState;
	#serverState: ServerState;
	#channel: ChannelView;
	readonly #client: SideTracker;
	readonly #server: SideTracker;
	readonly #log: TransitionRing;
	/** The model as last read; undefined once an event has changed anything. */
	#model: QueueModel | undefined;

	/** Carries on from `model` (never changed: every part of it is copied or kept as is). */
	constructor(model: QueueModel) {
		this.#transitionsMax = model.transitionsMax;
		this.#recentMax = model.recentMax;
		this.#jobsMax = model.jobsMax;
		this.#clientState = model.clientState;
		this.#serverState = model.serverState;
		this.#channel = model.channel;
		this.#client = new SideTracker(model.client, model.recentMax, model.jobsMax);
		this.#server = new SideTracker(model.server, model.recentMax, model.jobsMax);
		this.#log = new TransitionRing(model.transitionsMax, model.transitions, model.transitionCount);
		this.#model = model;
	}

	/** Take one engine event; false for those the model is not built from (wire, log). */
	apply(event: EngineEvent): boolean {
		switch (event.type) {
			case 'state': {
				if (event.side === 'client') {
					this.#clientState = event.to as ClientState;
				} else {
					this.#serverState = event.to as ServerState;
				}

				break;
			}

			case 'job': {
				(event.side === 'client' ? this.#client : this.#server).apply(event);
				break;
			}

			case 'channel': {
				this.#channel = {status: event.status, label: event.label, at: event.at, reason: event.reason};
				break;
			}

			default: {
				return false;
			}
		}

		this.#log.push(event);
		this.#model = undefined;
		return true;
	}

	/** The client side's active jobs and limit, read without building a model. */
	get client(): {readonly active: number; readonly limit: number} {
		return this.#client;
	}

	/** Transitions seen so far (the `seq` of the latest). */
	get transitionCount(): number {
		return this.#log.count;
	}

	/** The latest `count` transitions kept, oldest first, without building a model. */
	latest(count: number): readonly TransitionEntry[] {
		return this.#log.latest(count);
	}

	get model(): QueueModel {
		// Every field written out: a literal of one shape is several times cheaper than a spread.
		this.#model ??= {
			clientState: this.#clientState,
			serverState: this.#serverState,
			client: this.#client.snapshot(),
			server: this.#server.snapshot(),
			channel: this.#channel,
			transitionsMax: this.#transitionsMax,
			recentMax: this.#recentMax,
			jobsMax: this.#jobsMax,
			transitionCount: this.#log.count,
			transitions: this.#log.latest(this.#transitionsMax),
		};
		return this.#model;
	}
}

/** A job not finished yet, or one of the latest finished: its row is built when read. */
class TrackedJob {
	constructor(
		readonly id: number,
		readonly createdAt: number,
		/** Its latest event; undefined while `row` (from the model resumed) is current. */
		public event: JobEvent | undefined,
		public row: JobRow | undefined,
	) {}

	get current(): JobRow {
		this.row ??= rowOf(this.event!, this.createdAt);
		return this.row;
	}
}

function rowOf(event: JobEvent, createdAt: number): JobRow {
	// Two literals, not a spread of an optional field.
	return event.error
		? {id: event.jobId, side: event.side, method: event.method, tag: event.tag, status: event.to, createdAt, updatedAt: event.at, error: event.error}
		: {id: event.jobId, side: event.side, method: event.method, tag: event.tag, status: event.to, createdAt, updatedAt: event.at};
}

/** Where the job with this id is among the active ones (newest last: search from the end), or -1. */
function indexOfJob(jobs: readonly TrackedJob[], id: number): number {
	for (let index = jobs.length - 1; index >= 0; index--) {
		if (jobs[index]!.id === id) {
			return index;
		}
	}

	return -1;
}

/** One side's queue: active jobs (at most `jobsMax`), counts, and the newest `recentMax` finished. */
class SideTracker {
	readonly #recentMax: number;
	readonly #jobsMax: number;
	/** Oldest first. */
	readonly #jobs: TrackedJob[];
	/** Newest first. */
	readonly #recent: TrackedJob[];
	#queued: number;
	#limit: number;
	#done: number;
	#failed: number;
	/** The side as last read; undefined once a job of this side moved. */
	#snapshot: SideQueue | undefined;

	constructor(side: SideQueue, recentMax: number, jobsMax: number) {
		this.#recentMax = recentMax;
		this.#jobsMax = jobsMax;
		this.#jobs = side.jobs.map(row => new TrackedJob(row.id, row.createdAt, undefined, row));
		this.#recent = side.recent.map(row => new TrackedJob(row.id, row.createdAt, undefined, row));
		this.#queued = side.queued;
		this.#limit = side.limit;
		this.#done = side.done;
		this.#failed = side.failed;
		this.#snapshot = side;
	}

	apply(event: JobEvent): void {
		const jobs = this.#jobs;
		const index = indexOfJob(jobs, event.jobId);
		if (isFinished(event.to)) {
			const job = index >= 0 ? jobs[index]! : new TrackedJob(event.jobId, event.at, event, undefined);
			if (index === jobs.length - 1) {
				jobs.pop();
			} else if (index >= 0) {
				jobs.splice(index, 1);
			}

			job.event = event;
			job.row = undefined;
			this.#finish(job);
			if (event.to === 'done') {
				this.#done++;
			} else {
				// Cancelled and expired jobs are failures with a named cause.
				this.#failed++;
			}
		} else if (index >= 0) {
			const job = jobs[index]!;
			job.event = event;
			job.row = undefined;
		} else {
			if (jobs.length >= this.#jobsMax) {
				jobs.shift();
			}

			jobs.push(new TrackedJob(event.jobId, event.at, event, undefined));
		}

		this.#queued = event.queued;
		this.#limit = event.limit;
		this.#snapshot = undefined;
	}

	get active(): number {
		return this.#jobs.length;
	}

	get limit(): number {
		return this.#limit;
	}

	snapshot(): SideQueue {
		this.#snapshot ??= {
			jobs: this.#jobs.map(job => job.current),
			queued: this.#queued,
			limit: this.#limit,
			done: this.#done,
			failed: this.#failed,
			recent: this.#recent.map(job => job.current),
		};
		return this.#snapshot;
	}

	#finish(job: TrackedJob): void {
		if (this.#recentMax === 0) {
			return;
		}

		if (this.#recent.length >= this.#recentMax) {
			this.#recent.pop();
		}

		this.#recent.unshift(job);
	}
}

/** Fold one engine event into the model (the same model when the event changes nothing in it). */
export function foldEvent(model: QueueModel, event: EngineEvent): QueueModel {
	return foldEvents(model, [event]);
}

/** Fold many events into one new model, as folding them one at a time would; `model` is never changed. */
export function foldEvents(model: QueueModel, events: Iterable<EngineEvent>): QueueModel {
	const tracker = new QueueTracker(model);
	let changed = false;
	for (const event of events) {
		changed = tracker.apply(event) || changed;
	}

	return changed ? tracker.model : model;
}
