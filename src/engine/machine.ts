import type {EventBus, JobView} from './bus.js';
import type {JobEvent} from './events.js';
import {isFinished, Transitions, type EngineState, type JobStatus, type Side, type Table} from './states.js';

/** Told when a table refuses a trigger: a bug (the agent reports it and resets). */
export type Illegal = (machine: string, detail: string) => void;

/** One side's state machine: its state moves only by `fire`, through its table; each move is an event. */
export class Machine<S extends EngineState, T extends string> {
	readonly #side: Side;
	readonly #table: Transitions<S, T>;
	readonly #bus: EventBus;
	readonly #illegal: Illegal;
	#state: S;

	constructor(side: Side, table: Table<S, T>, initial: S, bus: EventBus, illegal: Illegal) {
		this.#side = side;
		this.#table = new Transitions(table);
		this.#state = initial;
		this.#bus = bus;
		this.#illegal = illegal;
	}

	get state(): S {
		return this.#state;
	}

	/** The one place this machine moves. False (and reported) when the table refuses. */
	fire(trigger: T, job: JobView | undefined, reason?: string): boolean {
		const from = this.#state;
		const to = this.#table.next(from, trigger);
		if (to === undefined) {
			this.#illegal(this.#side, `${trigger} in ${from}`);
			return false;
		}

		this.#state = to;
		this.#bus.state(this.#side, from, to, job, reason);
		return true;
	}
}

export type JobMoverOptions<J> = {
	/** Queue length for the event, after the move, and the queue's limit. */
	readonly queued: () => number;
	readonly limit: number;
	/** Called when a job reaches a final status, before its event. */
	readonly finished?: (job: J) => void;
};

/** Moves the statuses of one side's jobs through its table; each move is an event. */
export class JobMover<S extends JobStatus, T extends string, J extends JobView & {status: S}> {
	readonly #side: Side;
	readonly #table: Transitions<S, T>;
	readonly #bus: EventBus;
	readonly #illegal: Illegal;
	readonly #options: JobMoverOptions<J>;

	constructor(side: Side, table: Table<S, T>, bus: EventBus, illegal: Illegal, options: JobMoverOptions<J>) {
		this.#side = side;
		this.#table = new Transitions(table);
		this.#bus = bus;
		this.#illegal = illegal;
		this.#options = options;
	}

	/** A new job: its first event (`from` null). */
	created(job: J): void {
		if (!this.#bus.listening) {
			return;
		}

		this.#bus.job(this.#side, job, null, job.status, this.#options.queued(), this.#options.limit);
	}

	/** The one place a job's status moves. False (and reported) when the table refuses. */
	move(job: J, trigger: T, error?: JobEvent['error']): boolean {
		const from = job.status;
		const to = this.#table.next(from, trigger);
		if (to === undefined) {
			this.#illegal(`${this.#side} job`, `#${job.id} ${trigger} in ${from}`);
			return false;
		}

		job.status = to;
		if (isFinished(to)) {
			this.#options.finished?.(job);
		}

		if (this.#bus.listening) {
			this.#bus.job(this.#side, job, from, to, this.#options.queued(), this.#options.limit, error);
		}

		return true;
	}
}
