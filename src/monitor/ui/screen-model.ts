/**
 * What the live region shows: the session's status and the core's queue model, folded from
 * session events alone (PROTOCOL.md §4). Pure, like the queue model it wraps.
 */
import {foldEvent as foldQueueEvent, initialQueueModel, latestTransitions, type QueueModel, type TransitionEntry} from '../queue-model.js';
import type {SessionEvent, SessionStatus} from '../session-api.js';

export type ScreenModel = {
	readonly status: SessionStatus;
	readonly queue: QueueModel;
};

/** Lines of the live transition log (the full log is for `info`). */
export const liveTransitions = 8;

/** Start from what the session has folded so far (a fresh model if it has none). */
export function initialModel(status: SessionStatus, queue: QueueModel = initialQueueModel()): ScreenModel {
	return {status, queue};
}

export function foldEvent(model: ScreenModel, event: SessionEvent): ScreenModel {
	switch (event.type) {
		case 'status': {
			return {...model, status: event.status};
		}

		case 'hello':
		case 'outcome': {
			return model;
		}

		default: {
			const queue = foldQueueEvent(model.queue, event);
			return queue === model.queue ? model : {...model, queue};
		}
	}
}

export function isFailure(entry: TransitionEntry): boolean {
	return entry.kind === 'job' && entry.text.includes('→failed');
}

/**
 * The live log: state changes, channel changes and failed jobs (the other job moves are in
 * the queue panels already), the newest `count`, oldest first.
 */
export function liveLog(queue: QueueModel, count = liveTransitions): readonly TransitionEntry[] {
	return latestTransitions(queue)
		.filter(entry => entry.kind !== 'job' || isFailure(entry))
		.slice(-count);
}
