import {performance} from 'node:perf_hooks';

/** Runs `operation` `count` times, one after another; returns operations per second. */
export async function sequentialRate(count: number, operation: () => Promise<unknown>): Promise<number> {
	const start = performance.now();
	for (let i = 0; i < count; i++) {
		await operation();
	}

	return count / ((performance.now() - start) / 1000);
}

/** Milliseconds taken by `work`. */
export async function elapsedMs(work: () => Promise<unknown>): Promise<number> {
	const start = performance.now();
	await work();
	return performance.now() - start;
}

/**
 * Two operations taken in turns, one call each, each call timed alone: both rates come from the
 * same moments of the same run, so a burst of load elsewhere slows both alike (a candidate and
 * its baseline measured a round apart can each meet a different machine).
 */
export async function pairedRates(count: number, first: () => Promise<unknown>, second: () => Promise<unknown>): Promise<[number, number]> {
	let firstMs = 0;
	let secondMs = 0;
	for (let i = 0; i < count; i++) {
		// Who goes first alternates too: neither always follows the other's wake-ups.
		const [a, b] = i % 2 === 0 ? [first, second] : [second, first];
		const t0 = performance.now();
		await a();
		const t1 = performance.now();
		await b();
		const t2 = performance.now();
		if (i % 2 === 0) {
			firstMs += t1 - t0;
			secondMs += t2 - t1;
		} else {
			secondMs += t1 - t0;
			firstMs += t2 - t1;
		}
	}

	return [count / (firstMs / 1000), count / (secondMs / 1000)];
}
