/** Where a job sits in one JobList: read and written by the list only (-1: in none). */
export type ListSlot<J> = {
	readonly get: (job: J) => number;
	readonly set: (job: J, index: number) => void;
};

/**
 * Jobs in no particular order, each added and removed in O(1) and without allocating: an array,
 * and each job's place in it. A Map or Set that empties and fills again on every round trip
 * shrinks and regrows its hash table each time: ~130 ns and ~120 bytes per add and delete here,
 * and a round trip adds and removes each of its jobs once per list. Where order matters (a
 * reset fails every job), `oldestFirst` sorts by id: job ids only grow.
 */
export class JobList<J extends {readonly id: number; readonly tag: string}> {
	readonly #jobs: J[] = [];
	readonly #slot: ListSlot<J>;

	constructor(slot: ListSlot<J>) {
		this.#slot = slot;
	}

	get size(): number {
		return this.#jobs.length;
	}

	has(job: J): boolean {
		const index = this.#slot.get(job);
		return index >= 0 && this.#jobs[index] === job;
	}

	add(job: J): void {
		if (!this.has(job)) {
			this.#slot.set(job, this.#jobs.length);
			this.#jobs.push(job);
		}
	}

	delete(job: J): boolean {
		if (!this.has(job)) {
			return false;
		}

		// The last job takes the freed place.
		const index = this.#slot.get(job);
		const last = this.#jobs.pop()!;
		if (last !== job) {
			this.#jobs[index] = last;
			this.#slot.set(last, index);
		}

		this.#slot.set(job, -1);
		return true;
	}

	/** The job with this tag: a scan, for lists the peer's capacity keeps short (at most 64). */
	withTag(tag: string): J | undefined {
		const jobs = this.#jobs;
		for (let index = 0; index < jobs.length; index++) {
			if (jobs[index]!.tag === tag) {
				return jobs[index];
			}
		}

		return undefined;
	}

	/** The one job, when there is exactly one. */
	get sole(): J | undefined {
		return this.#jobs.length === 1 ? this.#jobs[0] : undefined;
	}

	/** A copy, oldest first. */
	oldestFirst(): J[] {
		return [...this.#jobs].sort((a, b) => a.id - b.id);
	}

	clear(): void {
		for (const job of this.#jobs) {
			this.#slot.set(job, -1);
		}

		this.#jobs.length = 0;
	}
}
