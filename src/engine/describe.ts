import type {JobEvent, StateEvent} from './events.js';

/** `client IDLE→SEND #7 va.getfile` — the transition log's line for a state change. */
export function describeTransition(event: StateEvent): string {
	const job = event.jobId === undefined ? '' : ` #${event.jobId} ${event.method ?? '?'}`;
	const reason = event.reason ? ` (${event.reason})` : '';
	return `${event.side} ${event.from}→${event.to}${job}${reason}`;
}

/** `client #7 va.getfile queued→sending` — a job change. */
export function describeJob(event: JobEvent): string {
	const from = event.from ?? 'new';
	const error = event.error ? `: ${event.error.code} ${event.error.message}` : '';
	return `${event.side} #${event.jobId} ${event.method} ${from}→${event.to}${error}`;
}
