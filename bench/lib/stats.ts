/** The middle value (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
	if (values.length === 0) {
		return Number.NaN;
	}

	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Spread of the rounds around their median, as a fraction of it: a quick noise gauge. */
export function relativeSpread(values: readonly number[]): number {
	if (values.length < 2) {
		return 0;
	}

	const middle = median(values);
	return (Math.max(...values) - Math.min(...values)) / middle;
}

export function ratio(candidate: number, baseline: number): number {
	return baseline > 0 ? candidate / baseline : Number.NaN;
}
