import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';

/** What every case gets: its sizes, a scratch directory, and somewhere to say what it skipped. */
export type BenchOptions = {
	readonly quick: boolean;
	readonly rounds: number;
	readonly warmup: number;
	/** Calls per round for the cheap cases (pings). */
	readonly calls: number;
	/** Calls for the memory figure of case 6 (100,000 by the issue; fewer with --quick). */
	readonly memoryCalls: number;
};

export type Scratch = {
	readonly dir: string;
	file(name: string): string;
	remove(): void;
};

export function scratch(prefix: string): Scratch {
	const dir = mkdtempSync(path.join(tmpdir(), `va-bench-${prefix}-`));
	return {
		dir,
		file: name => path.join(dir, name),
		remove: () => rmSync(dir, {recursive: true, force: true}),
	};
}

/** Runs `work`, then every cleanup in reverse order, even when `work` throws. */
export async function withCleanup<T>(work: (defer: (cleanup: () => unknown) => void) => Promise<T>): Promise<T> {
	const cleanups: Array<() => unknown> = [];
	try {
		return await work(cleanup => cleanups.push(cleanup));
	} finally {
		for (const cleanup of cleanups.reverse()) {
			try {
				await cleanup();
			} catch {
				// Cleanup of a child that is already gone: nothing left to do.
			}
		}
	}
}
