/**
 * Monotonic milliseconds. Not performance.now(): Node builds the global `performance` (node:perf_hooks
 * and ten modules under it) at its first use, ~2.5M instructions of the guest daemon's start-up
 * before its hello (the hello's deadline is the first); this costs the same per call.
 */
export function monotonicMs(): number {
	const [seconds, nanoseconds] = process.hrtime();
	return seconds * 1000 + nanoseconds / 1e6;
}

/**
 * One timer for many deadlines: armed for the earliest one and never cleared when a job ends.
 * A timer per call cost a timer-list insert, a heap update and a clear on every round trip;
 * this one fires about once per timeout, finds what is due, and re-arms for what is left.
 *
 * Unref'd: a deadline never keeps the process alive by itself. A job waits only while its
 * channel is attached, and the channel's own handle is what keeps the process running.
 */
export class DeadlineTimer {
	/** Fails whatever is due at `now` (ms, monotonicMs()); returns the next deadline, if any. */
	readonly #expire: (now: number) => number | undefined;
	#timer: NodeJS.Timeout | undefined;
	/** When the armed timer fires (Infinity: not armed). */
	#at = Number.POSITIVE_INFINITY;

	constructor(expire: (now: number) => number | undefined) {
		this.#expire = expire;
	}

	/** A deadline `ms` from now: returns it (ms, monotonicMs()) and makes sure the timer fires by then. */
	add(ms: number): number {
		const at = monotonicMs() + ms;
		this.#ensure(at);
		return at;
	}

	stop(): void {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#at = Number.POSITIVE_INFINITY;
	}

	#ensure(at: number): void {
		if (at >= this.#at) {
			return;
		}

		clearTimeout(this.#timer);
		this.#at = at;
		this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(at - monotonicMs())));
		this.#timer.unref();
	}

	readonly #fire = (): void => {
		this.#timer = undefined;
		this.#at = Number.POSITIVE_INFINITY;
		// A deadline added while expiring (a resync job the kick made) may have armed it again.
		const next = this.#expire(monotonicMs());
		if (next !== undefined) {
			this.#ensure(next);
		}
	};
}
