/**
 * Log lines written in batches: one write(2) per batch instead of one per line. The daemon logs
 * a line per RPC; written one by one, that write cost the host benchmark ~8% of its rate, and
 * under software emulation each system call costs far more. Lines wait at most `maxDelayMs`
 * (or until `maxBytes` are pending), and whatever is pending is written when the process exits.
 */
export type BatchedWriter = {
	write(line: string): void;
	flush(): void;
};

export type BatchOptions = {
	readonly maxDelayMs?: number;
	readonly maxBytes?: number;
};

export function batchedWriter(sink: (text: string) => void, options: BatchOptions = {}): BatchedWriter {
	const maxDelayMs = options.maxDelayMs ?? 50;
	const maxBytes = options.maxBytes ?? 64 * 1024;
	let pending: string[] = [];
	let pendingBytes = 0;
	let timer: NodeJS.Timeout | undefined;

	const flush = () => {
		clearTimeout(timer);
		timer = undefined;
		if (pending.length > 0) {
			const text = pending.join('');
			pending = [];
			pendingBytes = 0;
			sink(text);
		}
	};

	// A process that ends (exit(), a return from main, an uncaught exception) still writes its
	// last lines: 'exit' handlers may only do synchronous work, and stderr writes to files and
	// pipes are synchronous.
	process.once('exit', flush);
	return {
		write(line) {
			pending.push(line);
			pendingBytes += line.length;
			if (pendingBytes >= maxBytes) {
				flush();
			} else if (timer === undefined) {
				// Unref'd: a pending line must not keep the process alive.
				timer = setTimeout(flush, maxDelayMs);
				timer.unref();
			}
		},
		flush,
	};
}
