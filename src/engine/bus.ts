import type {EngineEvent, JobEvent} from './events.js';
import type {EngineState, JobStatus, Side} from './states.js';

export type Listener = (event: EngineEvent) => void;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What a job event says about the job that moved. */
export type JobView = {readonly id: number; readonly method: string; readonly tag: string | undefined};

/**
 * The engine's event bus: every state and job change, channel up/down, log lines and (on
 * request) the wire tap go out through here. A listener that throws is caught and reported: a
 * UI bug never stops the engine, and no exception from one event leaves it.
 */
export class EventBus {
	readonly #name: string;
	readonly #listeners = new Set<Listener>();
	wireTap = false;

	constructor(name: string) {
		this.#name = name;
	}

	/** Whether anyone listens: with nobody, events are not even built (two per message and side). */
	get listening(): boolean {
		return this.#listeners.size > 0;
	}

	subscribe(listener: Listener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	state(side: Side, from: EngineState, to: EngineState, job: JobView | undefined, reason?: string): void {
		if (this.#listeners.size === 0) {
			return;
		}

		this.emit({type: 'state', side, from, to, jobId: job?.id, method: job?.method, tag: job?.tag, at: Date.now(), ...(reason ? {reason} : {})});
	}

	job(side: Side, job: JobView, from: JobStatus | null, to: JobStatus, queued: number, limit: number, error?: JobEvent['error']): void {
		this.emit({type: 'job', side, from, to, jobId: job.id, method: job.method, tag: job.tag, at: Date.now(), queued, limit, ...(error ? {error} : {})});
	}

	tap(direction: 'in' | 'out', kind: 'request' | 'response', tag: string | undefined, body: Buffer): void {
		if (this.wireTap) {
			this.emit({type: 'wire', direction, kind, tag, body, at: Date.now()});
		}
	}

	log(level: LogLevel, message: string): void {
		this.emit({type: 'log', level, message: `${this.#name}: ${message}`, at: Date.now()});
	}

	emit(event: EngineEvent): void {
		for (const listener of this.#listeners) {
			try {
				listener(event);
			} catch (error) {
				// Reported as a log line; a log listener that throws too is not reported again (no loop).
				if (event.type !== 'log') {
					this.log('error', `event listener failed on a ${event.type} event: ${error instanceof Error ? error.message : String(error)}`);
				}
			}
		}
	}
}
