import type {Figure} from './rounds.js';
import {ratio} from './stats.js';

/** A ratio the issue sets a bound on (`>=` a floor or `<=` a ceiling), or none for information. */
export type Target = {readonly op: '>=' | '<='; readonly value: number};

export type Comparison = {
	readonly name: string;
	readonly candidate: string;
	readonly baseline: string;
	readonly ratio: number;
	readonly target?: Target;
	/** Undefined when there is no target or a figure is missing. */
	readonly met?: boolean;
};

/** A value that is not a ratio of two figures (a time, a memory size) with its own bound. */
export type Check = {
	readonly name: string;
	readonly value: number;
	readonly unit: string;
	readonly target?: Target;
	readonly met?: boolean;
};

export type CaseResult = {
	readonly id: string;
	readonly title: string;
	readonly figures: readonly Figure[];
	readonly comparisons: readonly Comparison[];
	readonly checks: readonly Check[];
	/** What was left out and why (e.g. qemu-ga is not installed). */
	readonly notes: readonly string[];
};

export function meets(value: number, target: Target | undefined): boolean | undefined {
	if (target === undefined || !Number.isFinite(value)) {
		return undefined;
	}

	return target.op === '>=' ? value >= target.value : value <= target.value;
}

/** candidate median / baseline median, checked against the target if there is one. */
export function compare(figures: readonly Figure[], name: string, candidate: string, baseline: string, target?: Target): Comparison | undefined {
	const a = figures.find(f => f.name === candidate);
	const b = figures.find(f => f.name === baseline);
	if (!a || !b) {
		return undefined;
	}

	const value = ratio(a.median, b.median);
	return {name, candidate, baseline, ratio: value, ...(target ? {target, met: meets(value, target)} : {})};
}

export function check(name: string, value: number, unit: string, target?: Target): Check {
	return {name, value, unit, ...(target ? {target, met: meets(value, target)} : {})};
}

/** Drops the comparisons that could not be made (a contender was skipped). */
export function present<T>(items: ReadonlyArray<T | undefined>): T[] {
	return items.filter((item): item is T => item !== undefined);
}
