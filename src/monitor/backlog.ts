/**
 * The shell's own backlog of command lines, above the session. The engine holds five client
 * jobs and refuses a sixth with ENOBUFS (PROTOCOL.md §4); an operator who pastes twenty
 * commands expects all twenty to run, in order. So the shell keeps the lines it cannot start
 * yet (at most `capacity`, past which a line is refused with a clear error) and feeds the
 * engine as room appears. A line that needs no job slot (`cancel`, `info`, `help`, `quit`)
 * runs at once, ahead of the waiting ones: a jammed queue can always be looked at and unjammed.
 */
import type {CommandOutcome, MonitorSession} from './session-api.js';
import {splitCommand} from './parse-args.js';

export const backlogCapacity = 1000;

export type BacklogState = {
	/** Lines waiting for room, not yet started. */
	readonly waiting: number;
	/** Lines started and not finished. */
	readonly running: number;
	readonly capacity: number;
	/** Lines refused because the backlog was full, since the start. */
	readonly refused: number;
};

/** A line's fate: its 1-based position among the lines submitted, and what it produced. */
export type BacklogResult = {readonly id: number; readonly line: string; readonly outcome: CommandOutcome};

export type BacklogOptions = {
	/** Run one line (never rejects). */
	readonly execute: (line: string) => Promise<CommandOutcome>;
	/** At most this many lines run at once (those that take a job slot); read at each start. */
	readonly concurrency: number | (() => number);
	/** Whether the engine can take one more job now (default: always). */
	readonly hasRoom?: () => boolean;
	/** Lines that take no job slot and may overtake the waiting ones (default: none). */
	readonly isImmediate?: (line: string) => boolean;
	readonly capacity?: number;
};

/** `immediate` is decided once, at submit: a start scans the waiting lines for one (a paste of a thousand must not parse a million). */
type Entry = {readonly id: number; readonly line: string; readonly immediate: boolean; readonly resolve: (result: BacklogResult) => void};

export class Backlog {
	readonly #options: BacklogOptions;
	readonly #capacity: number;
	readonly #waiting: Entry[] = [];
	readonly #listeners = new Set<(state: BacklogState) => void>();
	#running = 0;
	#refused = 0;
	#nextId = 1;
	#pumpScheduled = false;
	#closed = false;

	constructor(options: BacklogOptions) {
		this.#options = options;
		this.#capacity = options.capacity ?? backlogCapacity;
	}

	get state(): BacklogState {
		return {waiting: this.#waiting.length, running: this.#running, capacity: this.#capacity, refused: this.#refused};
	}

	/** Resolves when the line has run, or at once when it is refused (a full backlog) or dropped (`clear`). */
	async submit(line: string): Promise<BacklogResult> {
		const id = this.#nextId++;
		if (this.#closed) {
			return {id, line, outcome: failure(line, 'the monitor is closing: not run')};
		}

		if (this.#waiting.length >= this.#capacity) {
			this.#refused++;
			this.#changed();
			return {id, line, outcome: failure(line, `the backlog is full (${this.#capacity} commands waiting): not run`)};
		}

		const immediate = this.#options.isImmediate?.(line) ?? false;
		const result = new Promise<BacklogResult>(resolve => {
			this.#waiting.push({id, line, immediate, resolve});
		});
		this.#changed();
		this.poke();
		return result;
	}

	/** Something may have made room (a job ended, the guest came back): try to start lines. */
	poke(): void {
		if (this.#pumpScheduled || this.#waiting.length === 0) {
			return;
		}

		this.#pumpScheduled = true;
		// One line per turn of the event loop: the line just started has queued its job by then,
		// so the room the next one sees is real.
		setImmediate(() => {
			this.#pumpScheduled = false;
			if (this.#startOne()) {
				this.poke();
			}
		});
	}

	/** Drop every waiting line (each resolves as not run); returns how many. */
	clear(reason = 'dropped: not run'): number {
		const dropped = this.#waiting.splice(0);
		for (const entry of dropped) {
			entry.resolve({id: entry.id, line: entry.line, outcome: failure(entry.line, reason)});
		}

		if (dropped.length > 0) {
			this.#changed();
		}

		return dropped.length;
	}

	/** Refuse new lines and drop the waiting ones. */
	close(): void {
		this.#closed = true;
		this.clear('the monitor is closing: not run');
	}

	subscribe(listener: (state: BacklogState) => void): () => void {
		this.#listeners.add(listener);
		return () => {
			this.#listeners.delete(listener);
		};
	}

	/** Start the first line that may start: the oldest if there is room, else the first immediate one. */
	#startOne(): boolean {
		const {concurrency, hasRoom = () => true} = this.#options;
		const headMayStart = this.#running < (typeof concurrency === 'number' ? concurrency : concurrency()) && hasRoom();
		const index = this.#waiting.findIndex((entry, position) => (position === 0 && headMayStart) || entry.immediate);
		if (index < 0) {
			return false;
		}

		const [entry] = this.#waiting.splice(index, 1);
		const takesSlot = !entry!.immediate;
		if (takesSlot) {
			this.#running++;
		}

		this.#changed();
		void this.#options.execute(entry!.line).then(outcome => {
			if (takesSlot) {
				this.#running--;
			}

			entry!.resolve({id: entry!.id, line: entry!.line, outcome});
			this.#changed();
			this.poke();
		});
		return true;
	}

	#changed(): void {
		const {state} = this;
		for (const listener of this.#listeners) {
			listener(state);
		}
	}
}

function failure(line: string, message: string): CommandOutcome {
	return {ok: false, command: splitCommand(line).name, error: {class: 'GenericError', desc: message}, text: `error: ${message}`, ms: 0};
}

/** Commands that take no job slot: they may overtake a backlog. */
const immediateCommands: ReadonlySet<string> = new Set(['cancel', 'info', 'help', '?', 'quit', 'q', 'exit']);

/**
 * The interactive shell's backlog: as many lines run at once as the engine's client queue holds,
 * each started only when the queue has room; it looks again on every job change.
 */
export function sessionBacklog(session: MonitorSession, capacity = backlogCapacity): Backlog & {dispose(): void} {
	const backlog = new Backlog({
		execute: async line => session.execute(line),
		// The queue's view, not the model: these run at every job event, and a model is built when read.
		concurrency: () => session.clientQueue.limit,
		hasRoom() {
			const queue = session.clientQueue;
			return queue.active < queue.limit;
		},
		isImmediate: line => immediateCommands.has(splitCommand(line).name),
		capacity,
	});
	const unsubscribe = session.subscribe(event => {
		if (event.type === 'job' || event.type === 'status') {
			backlog.poke();
		}
	});
	return Object.assign(backlog, {
		dispose() {
			unsubscribe();
			backlog.close();
		},
	});
}
