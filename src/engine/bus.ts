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
	/**
	 * Each listener with the event types it wants (undefined: all of them). An array replaced on
	 * every change, not a Map: `emit` runs several times per message, and iterating a Map's
	 * entries costs more than an index loop; a listener that subscribes or unsubscribes during an
	 * emit does not change the round under way.
	 */
	#listeners: ReadonlyArray<{readonly listener: Listener; readonly wanted: ReadonlySet<EngineEvent['type']> | undefined}> = [];
	/** Listeners that want state and job events: with none, those are not built. */
	#transitionListeners = 0;
	wireTap = false;
	/** Engine steps under way (a call queued, a message handled); nested when a listener calls in. */
	#steps = 0;
	/** The clock as the outermost step first read it: its state and job events share it. */
	#stepAt: number | undefined;

	constructor(name: string) {
		this.#name = name;
	}

	/**
	 * Whether anyone listens to state and job events: with nobody, they are not even built (several
	 * per message and side).
	 */
	get listening(): boolean {
		return this.#transitionListeners > 0;
	}

	/**
	 * `types`: only these events reach the listener (the guest daemon, unless verbose, wants its
	 * channel and log events only; then no state or job event is built for it).
	 */
	subscribe(listener: Listener, types?: ReadonlyArray<EngineEvent['type']>): () => void {
		if (this.#listeners.some(entry => entry.listener === listener)) {
			return () => undefined;
		}

		const wanted = types ? new Set(types) : undefined;
		const transitions = !wanted || wanted.has('state') || wanted.has('job');
		this.#listeners = [...this.#listeners, {listener, wanted}];
		this.#transitionListeners += transitions ? 1 : 0;
		return () => {
			const kept = this.#listeners.filter(entry => entry.listener !== listener);
			if (kept.length < this.#listeners.length) {
				this.#listeners = kept;
				this.#transitionListeners -= transitions ? 1 : 0;
			}
		};
	}

	/**
	 * An engine step begins: the state and job events it emits until `endStep` share one clock
	 * read (a round trip makes ~7 of them, in two steps, and a clock read costs ~100 ns here).
	 */
	beginStep(): void {
		this.#steps++;
	}

	endStep(): void {
		if (--this.#steps === 0) {
			this.#stepAt = undefined;
		}
	}

	#now(): number {
		if (this.#steps === 0) {
			return Date.now();
		}

		this.#stepAt ??= Date.now();
		return this.#stepAt;
	}

	state(side: Side, from: EngineState, to: EngineState, job: JobView | undefined, reason?: string): void {
		if (this.#transitionListeners === 0) {
			return;
		}

		const at = this.#now();
		// Two literals, not a spread of an optional field (several per message).
		this.emit(
			reason
				? {type: 'state', side, from, to, jobId: job?.id, method: job?.method, tag: job?.tag, at, reason}
				: {type: 'state', side, from, to, jobId: job?.id, method: job?.method, tag: job?.tag, at},
		);
	}

	job(side: Side, job: JobView, from: JobStatus | null, to: JobStatus, queued: number, limit: number, error?: JobEvent['error']): void {
		const at = this.#now();
		this.emit(
			error
				? {type: 'job', side, from, to, jobId: job.id, method: job.method, tag: job.tag, at, queued, limit, error}
				: {type: 'job', side, from, to, jobId: job.id, method: job.method, tag: job.tag, at, queued, limit},
		);
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
		const listeners = this.#listeners;
		for (let index = 0; index < listeners.length; index++) {
			const {listener, wanted} = listeners[index]!;
			if (wanted && !wanted.has(event.type)) {
				continue;
			}

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
