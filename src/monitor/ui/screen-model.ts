/**
 * What the live region shows, folded from session events alone (PROTOCOL.md §4: the live view is
 * built from events). Pure: `foldEvent` returns a new model; the screen renders snapshots of it.
 */
import type {JobStatus} from '../../engine/events.js';
import type {EngineState, Side} from '../../engine/states.js';
import type {SessionEvent, SessionStatus} from '../session-api.js';

export type JobView = {
	readonly id: number;
	readonly method: string;
	readonly status: JobStatus;
	/** When the job was created (ms since epoch), for its age. */
	readonly since: number;
};

export type FinishedJob = JobView & {
	readonly ms: number;
	readonly error?: {readonly code: string | number; readonly message: string};
};

export type SideView = {
	readonly state: EngineState;
	/** Jobs not yet done or failed, oldest first. */
	readonly jobs: readonly JobView[];
	/** Queue length and limit as the engine last reported them (limit unknown before a job). */
	readonly queued: number;
	readonly limit: number | undefined;
	readonly lastFinished: FinishedJob | undefined;
};

export type LogLine = {
	readonly at: number;
	readonly text: string;
	readonly tone: 'state' | 'failed' | 'channel' | 'warn';
};

export type ScreenModel = {
	readonly status: SessionStatus;
	readonly client: SideView;
	readonly server: SideView;
	/** The newest `transitionLimit` lines, oldest first. */
	readonly transitions: readonly LogLine[];
	/** Events folded so far (for tests and the render-rate measurement). */
	readonly eventCount: number;
};

export const transitionLimit = 8;

const idleSide: SideView = {state: 'IDLE', jobs: [], queued: 0, limit: undefined, lastFinished: undefined};

export function initialModel(status: SessionStatus): ScreenModel {
	return {status, client: idleSide, server: idleSide, transitions: [], eventCount: 0};
}

function pushLine(lines: readonly LogLine[], line: LogLine): readonly LogLine[] {
	const next = [...lines, line];
	return next.length > transitionLimit ? next.slice(next.length - transitionLimit) : next;
}

function withSide(model: ScreenModel, side: Side, view: SideView): ScreenModel {
	return side === 'client' ? {...model, client: view} : {...model, server: view};
}

export function foldEvent(model: ScreenModel, event: SessionEvent): ScreenModel {
	const counted = {...model, eventCount: model.eventCount + 1};
	switch (event.type) {
		case 'status': {
			return {...counted, status: event.status};
		}

		case 'state': {
			const job = event.jobId === undefined ? '' : ` #${event.jobId} ${event.method ?? '?'}`;
			const reason = event.reason ? ` (${event.reason})` : '';
			const view = model[event.side];
			return withSide(
				{...counted, transitions: pushLine(model.transitions, {at: event.at, text: `${event.side} ${event.from}→${event.to}${job}${reason}`, tone: 'state'})},
				event.side,
				{...view, state: event.to},
			);
		}

		case 'job': {
			const view = model[event.side];
			const existing = view.jobs.find(job => job.id === event.jobId);
			const counts = {queued: event.queued, limit: event.limit};
			if (event.to === 'done' || event.to === 'failed') {
				const since = existing?.since ?? event.at;
				const finished: FinishedJob = {
					id: event.jobId,
					method: event.method,
					status: event.to,
					since,
					ms: event.at - since,
					...(event.error ? {error: event.error} : {}),
				};
				const next = withSide(counted, event.side, {...view, ...counts, jobs: view.jobs.filter(job => job.id !== event.jobId), lastFinished: finished});
				if (event.to !== 'failed') {
					return next;
				}

				const why = event.error ? `: ${event.error.code} ${event.error.message}` : '';
				return {...next, transitions: pushLine(model.transitions, {at: event.at, text: `${event.side} #${event.jobId} ${event.method} failed${why}`, tone: 'failed'})};
			}

			const jobs = existing
				? view.jobs.map(job => (job.id === event.jobId ? {...job, status: event.to, method: event.method} : job))
				: [...view.jobs, {id: event.jobId, method: event.method, status: event.to, since: event.at}];
			return withSide(counted, event.side, {...view, ...counts, jobs});
		}

		case 'channel': {
			const text = event.status === 'up' ? `channel up: ${event.label}` : `channel down: ${event.label}${event.reason ? ` (${event.reason})` : ''}`;
			return {...counted, transitions: pushLine(model.transitions, {at: event.at, text, tone: 'channel'})};
		}

		case 'log': {
			if (event.level !== 'warn' && event.level !== 'error') {
				return counted;
			}

			return {...counted, transitions: pushLine(model.transitions, {at: event.at, text: event.message, tone: 'warn'})};
		}

		case 'hello':
		case 'wire':
		case 'outcome': {
			return counted;
		}
	}
}
