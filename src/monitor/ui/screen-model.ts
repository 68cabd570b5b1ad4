/**
 * What the live region's transition log shows, from the queue model the session folds from
 * its events (PROTOCOL.md §4). Pure.
 */
import {isFailure, latestTransitions, type QueueModel, type TransitionEntry} from '../queue-model.js';

export {isFailure} from '../queue-model.js';

/** Lines of the live transition log (the full log is for `info`). */
export const liveTransitions = 8;

/**
 * The live log: state changes, channel changes and failed jobs (the other job moves are in
 * the queue panels already), the newest `count`, oldest first.
 */
export function liveLog(queue: QueueModel, count = liveTransitions): readonly TransitionEntry[] {
	return latestTransitions(queue)
		.filter(entry => entry.kind !== 'job' || isFailure(entry))
		.slice(-count);
}
