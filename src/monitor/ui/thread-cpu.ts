import {openSync, readSync} from 'node:fs';

/** The kept descriptor of this thread's schedstat; null where there is none (not Linux). */
let schedstat: number | null | undefined;
const buffer = Buffer.alloc(64);

/**
 * CPU time of this thread, the event loop's, in milliseconds: what a frame takes from the work.
 * Linux keeps it in `/proc/thread-self/schedstat` (nanoseconds first; one read of a kept
 * descriptor, ~1 µs). Elsewhere the process's CPU time, which also counts V8's helper threads
 * (collecting and compiling beside the frame: two to four times the frame's own time here).
 */
export function threadCpuMs(): number {
	if (schedstat === undefined) {
		try {
			schedstat = openSync('/proc/thread-self/schedstat', 'r');
		} catch {
			schedstat = null;
		}
	}

	if (schedstat !== null) {
		const nanoseconds = readNanoseconds(schedstat);
		if (nanoseconds !== undefined) {
			return nanoseconds / 1e6;
		}

		schedstat = null;
	}

	const {user, system} = process.cpuUsage();
	return (user + system) / 1000;
}

/** The thread's run time so far (schedstat's first field), or undefined when it cannot be read. */
function readNanoseconds(descriptor: number): number | undefined {
	try {
		const length = readSync(descriptor, buffer, 0, buffer.length, 0);
		const nanoseconds = Number.parseInt(buffer.toString('latin1', 0, length), 10);
		return Number.isFinite(nanoseconds) ? nanoseconds : undefined;
	} catch {
		return undefined;
	}
}
