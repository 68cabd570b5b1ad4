import {formatMs} from './format.js';

/** Keys of given-up requests kept, so that their late answers are recognised in the log. */
const lateTagMemory = 256;

/**
 * The peer's server slots taken by requests we gave up on (docs/PROTOCOL.md §4): a request that
 * timed out or was cancelled after it was written still occupies one until its late answer
 * arrives. If none arrives within the grace period, `graceOver` is told (the agent then resets
 * the channel).
 */
export class PeerSlots {
	readonly #graceOver: (reason: string) => void;
	/** Key → grace timer. */
	readonly #occupied = new Map<string, NodeJS.Timeout>();
	readonly #lateTags = new Set<string>();

	constructor(graceOver: (reason: string) => void) {
		this.#graceOver = graceOver;
	}

	/** Slots taken by given-up requests. */
	get size(): number {
		return this.#occupied.size;
	}

	occupy(tag: string, method: string, graceMs: number): void {
		if (this.#occupied.has(tag)) {
			return;
		}

		this.#occupied.set(
			tag,
			setTimeout(() => {
				this.#occupied.delete(tag);
				this.remember(tag);
				this.#graceOver(`no late answer to ${method} (tag ${tag}) within ${formatMs(graceMs)}`);
			}, graceMs),
		);
	}

	/** An answer to a given-up request: frees its slot. False when the key means nothing to us. */
	release(tag: string): boolean {
		const timer = this.#occupied.get(tag);
		clearTimeout(timer);
		this.#occupied.delete(tag);
		return this.#lateTags.delete(tag) || timer !== undefined;
	}

	/** An untagged answer while exactly one given-up request is held: that one's. */
	soleTag(): string | undefined {
		return this.#occupied.size === 1 ? this.#occupied.keys().next().value : undefined;
	}

	/** A key whose late answer may still come (after a reset or the grace period). */
	remember(tag: string): void {
		this.#lateTags.add(tag);
		if (this.#lateTags.size > lateTagMemory) {
			this.#lateTags.delete(this.#lateTags.values().next().value!);
		}
	}

	/** A new channel: the peer holds nothing of ours any more. */
	clear(): void {
		for (const [tag, timer] of this.#occupied) {
			clearTimeout(timer);
			this.remember(tag);
		}

		this.#occupied.clear();
	}
}
