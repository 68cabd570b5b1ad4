/** Wire limits of PROTOCOL.md §2. All are configurable per connection. */
export type FrameLimits = {
	/** Most bytes a header may take, start line and blank line included (default 4096). */
	readonly headerMax: number;
	/** Most bytes a body may take (default 2 MiB). */
	readonly bodyMax: number;
	/** A started header must be complete within this (default 10 s; PROTOCOL.md §2). */
	readonly headerStallMs: number;
	/** A started body must receive a byte at least this often (default 10 s). */
	readonly bodyStallMs: number;
};

export const defaultFrameLimits: FrameLimits = {
	headerMax: 4096,
	bodyMax: 2 * 1024 * 1024,
	headerStallMs: 10_000,
	bodyStallMs: 10_000,
};

/** The defaults with `limits` over them; a RangeError names the first value no decoder can use. */
export function frameLimits(limits?: Partial<FrameLimits>): FrameLimits {
	const merged = {...defaultFrameLimits, ...limits};
	for (const name of ['headerStallMs', 'bodyStallMs'] as const) {
		if (!(merged[name] > 0)) {
			throw new RangeError(`${name} must be a positive number of milliseconds, got ${merged[name]}`);
		}
	}

	const {headerMax, bodyMax} = merged;
	if (!Number.isSafeInteger(headerMax) || headerMax < 16) {
		throw new RangeError(`headerMax must be an integer >= 16, got ${headerMax}`);
	}

	if (!Number.isSafeInteger(bodyMax) || bodyMax < 0) {
		throw new RangeError(`bodyMax must be an integer >= 0, got ${bodyMax}`);
	}

	return merged;
}

/** The sentinel byte written before every header; valid UTF-8 never contains it. */
export const SENTINEL = 0xff;
