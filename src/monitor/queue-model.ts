/**
 * The monitor's picture of the job engine, folded from EngineEvents alone (PROTOCOL.md §4:
 * "the monitor's live view and the transition log are built from these events alone").
 *
 * A QueueModel is immutable, so a React state can hold it as is. The session keeps it up to
 * date with a QueueTracker (queue-tracker.ts: event by event, the model built when read);
 * `foldEvents(model, events)` there is the same fold as a pure function, and never changes `model`.
 */
import type {ChannelEvent, EngineEvent, JobEvent, JobStatus, StateEvent} from '../engine/events.js';
import {isFinished, type ClientState, type ServerState, type Side} from '../engine/states.js';

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
	/** The latest transitions, oldest first: at most `transitionsMax`, the last one numbered `transitionCount`. */
	readonly transitions: readonly TransitionEntry[];
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
		transitions: [],
	};
}

/** The events the model is folded from: state, job and channel (not wire or log events). */
export function isLoggedEvent(event: EngineEvent): event is LoggedEvent {
	return event.type === 'state' || event.type === 'job' || event.type === 'channel';
}

/** A failed job's entry (the live log keeps those beside the state changes). */
export function isFailure(entry: TransitionEntry): boolean {
	// Cancelled and expired jobs are failures with a named cause.
	return entry.event.type === 'job' && isFinished(entry.event.to) && entry.event.to !== 'done';
}

/** The latest `count` transitions (default: all kept), oldest first. */
export function latestTransitions(model: QueueModel, count = model.transitionsMax): readonly TransitionEntry[] {
	const {transitions} = model;
	return count >= transitions.length ? transitions : transitions.slice(Math.max(0, transitions.length - count));
}
