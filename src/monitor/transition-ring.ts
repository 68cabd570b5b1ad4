/**
 * The queue model's transition log: the last `transitionsMax` transitions, and their entries
 * (queue-model.ts's TransitionEntry) built when first read.
 */
import {describeJob, describeTransition} from '../engine/describe.js';
import type {JobEvent, JobStatus, StateEvent} from '../engine/events.js';
import type {EngineState, Side} from '../engine/states.js';
import {escapeLine} from './escape.js';
import type {LoggedEvent, TransitionEntry} from './queue-model.js';

/** An entry's line: `client IDLE→SEND #7 va.getfile`, `channel up unix:/x`; terminal-safe. */
export function describeEntry(event: LoggedEvent): string {
	switch (event.type) {
		case 'state': {
			return escapeLine(describeTransition(event));
		}

		case 'job': {
			return escapeLine(describeJob(event));
		}

		case 'channel': {
			const reason = event.reason === undefined ? '' : ` (${event.reason})`;
			return escapeLine(`channel ${event.status} ${event.label}${reason}`);
		}
	}
}

/** A class, not a literal with a getter: built only for the transitions someone reads. */
class Entry implements TransitionEntry {
	readonly seq: number;
	readonly at: number;
	readonly kind: LoggedEvent['type'];
	readonly event: LoggedEvent;
	#text: string | undefined;

	constructor(seq: number, event: LoggedEvent) {
		this.seq = seq;
		this.at = event.at;
		this.kind = event.type;
		this.event = event;
	}

	// Most entries are never shown: render them only when a view asks.
	get text(): string {
		this.#text ??= describeEntry(this.event);
		return this.#text;
	}
}

/** A kept transition's text fields: side, from, to, method, tag, and the reason (a channel's label in `to`, its status in `from`). */
const textsPerSlot = 6;

/**
 * The last `max` transitions, in columns: the engine's event objects are not kept. Held ~200
 * events deep, they outlived the collector's young generation and died in the old one: the
 * monitor's resident memory grew ~14 MiB over 45,000 pings before the next full collection.
 * A transition's event is built again, field for field, the first time someone reads it (its
 * entry is kept while the transition stays: a screen redraws the same lines many times).
 */
export class TransitionRing {
	readonly #max: number;
	/** 0 state, 1 job, 2 channel. */
	readonly #kind: Uint8Array;
	readonly #at: Float64Array;
	/** jobId (NaN: none), queued, limit. */
	readonly #numbers: Float64Array;
	readonly #texts: Array<string | null | undefined>;
	readonly #errors: Array<JobEvent['error']>;
	readonly #entries: Array<TransitionEntry | undefined>;
	/** Transitions pushed so far: the next one's seq is count + 1, and it goes in slot count % max. */
	count: number;

	constructor(max: number, kept: readonly TransitionEntry[], count: number) {
		this.#max = max;
		this.#kind = new Uint8Array(max);
		this.#at = new Float64Array(max);
		this.#numbers = new Float64Array(max * 3);
		this.#texts = Array.from({length: max * textsPerSlot}, () => undefined);
		this.#errors = Array.from({length: max}, () => undefined);
		this.#entries = Array.from({length: max}, () => undefined);
		this.count = count;
		for (const entry of kept) {
			const slot = (entry.seq - 1) % max;
			this.#store(slot, entry.event);
			this.#entries[slot] = entry;
		}
	}

	push(event: LoggedEvent): void {
		const slot = this.count % this.#max;
		this.#store(slot, event);
		this.#entries[slot] = undefined;
		this.count++;
	}

	/** Oldest first. */
	latest(count: number): readonly TransitionEntry[] {
		const wanted = Math.max(0, Math.min(count, this.#max, this.count));
		const entries: TransitionEntry[] = [];
		for (let seq = this.count - wanted + 1; seq <= this.count; seq++) {
			const slot = (seq - 1) % this.#max;
			let entry = this.#entries[slot];
			if (entry === undefined) {
				entry = new Entry(seq, this.#event(slot));
				this.#entries[slot] = entry;
			}

			entries.push(entry);
		}

		return entries;
	}

	#store(slot: number, event: LoggedEvent): void {
		const texts = this.#texts;
		const at = slot * textsPerSlot;
		this.#at[slot] = event.at;
		this.#errors[slot] = undefined;
		if (event.type === 'channel') {
			this.#kind[slot] = 2;
			texts[at] = undefined;
			texts[at + 1] = event.status;
			texts[at + 2] = event.label;
			texts[at + 3] = undefined;
			texts[at + 4] = undefined;
			texts[at + 5] = event.reason;
			return;
		}

		texts[at] = event.side;
		texts[at + 1] = event.from;
		texts[at + 2] = event.to;
		texts[at + 3] = event.method;
		texts[at + 4] = event.tag;
		this.#numbers[slot * 3] = event.jobId ?? Number.NaN;
		if (event.type === 'state') {
			this.#kind[slot] = 0;
			texts[at + 5] = event.reason;
		} else {
			this.#kind[slot] = 1;
			texts[at + 5] = undefined;
			this.#numbers[slot * 3 + 1] = event.queued;
			this.#numbers[slot * 3 + 2] = event.limit;
			this.#errors[slot] = event.error;
		}
	}

	/** The event as the engine built it (optional fields only where it had them). */
	#event(slot: number): LoggedEvent {
		const texts = this.#texts;
		const at = slot * textsPerSlot;
		const time = this.#at[slot]!;
		const reason = texts[at + 5] ?? undefined;
		const kind = this.#kind[slot];
		if (kind === 2) {
			const channel = {type: 'channel', status: texts[at + 1] as 'up' | 'down', label: texts[at + 2]!, at: time} as const;
			return reason === undefined ? channel : {...channel, reason};
		}

		const number = this.#numbers[slot * 3]!;
		const jobId = Number.isNaN(number) ? undefined : number;
		const side = texts[at] as Side;
		const method = texts[at + 3] ?? undefined;
		const tag = texts[at + 4] ?? undefined;
		if (kind === 0) {
			const state: StateEvent = {type: 'state', side, from: texts[at + 1] as EngineState, to: texts[at + 2] as EngineState, jobId, method, tag, at: time};
			return reason === undefined ? state : {...state, reason};
		}

		const job: JobEvent = {
			type: 'job',
			side,
			from: (texts[at + 1] ?? null) as JobStatus | null,
			to: texts[at + 2] as JobStatus,
			jobId: jobId!,
			method: method!,
			tag,
			at: time,
			queued: this.#numbers[slot * 3 + 1]!,
			limit: this.#numbers[slot * 3 + 2]!,
		};
		const error = this.#errors[slot];
		return error === undefined ? job : {...job, error};
	}
}
