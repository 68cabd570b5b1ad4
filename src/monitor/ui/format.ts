/** `12:03:04.123` — local wall-clock time for log lines. */
export function clockTime(at: number, withMs = true): string {
	const date = new Date(at);
	const pad = (value: number, width = 2) => String(value).padStart(width, '0');
	const seconds = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
	return withMs ? `${seconds}.${pad(date.getMilliseconds(), 3)}` : seconds;
}

/** A job's age: `850ms`, `4.2s`, `3m05s`. */
export function age(ms: number): string {
	const clamped = Math.max(0, ms);
	if (clamped < 1000) {
		return `${Math.round(clamped)}ms`;
	}

	if (clamped < 60_000) {
		return `${(clamped / 1000).toFixed(1)}s`;
	}

	const minutes = Math.floor(clamped / 60_000);
	return `${minutes}m${String(Math.floor((clamped % 60_000) / 1000)).padStart(2, '0')}s`;
}
