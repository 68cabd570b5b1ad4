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
