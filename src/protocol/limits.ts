/** Wire limits of PROTOCOL.md §2. Both are configurable per connection. */
export type FrameLimits = {
	/** Most bytes a header may take, start line and blank line included (default 4096). */
	readonly headerMax: number;
	/** Most bytes a body may take (default 2 MiB). */
	readonly bodyMax: number;
};

export const defaultFrameLimits: FrameLimits = {
	headerMax: 4096,
	bodyMax: 2 * 1024 * 1024,
};

/** The sentinel byte written before every header; valid UTF-8 never contains it. */
export const SENTINEL = 0xff;
