import {pairedRates} from './clock.js';
import {median, relativeSpread} from './stats.js';

/** One thing measured: each call of `run` is one round and returns its figure. */
export type Contender = {
	readonly name: string;
	readonly unit: string;
	run(): Promise<number>;
};

export type Figure = {
	readonly name: string;
	readonly unit: string;
	readonly median: number;
	readonly rounds: readonly number[];
	/** (max - min) / median over the rounds. */
	readonly spread: number;
};

export type RoundOptions = {
	readonly rounds: number;
	/** Untimed rounds first, so that every contender is past the JIT's warm-up. */
	readonly warmup: number;
};

/**
 * Runs every contender once per round, rotating who goes first, so that candidates and their
 * baselines share the machine's noise (other engineers' tests, the other core's load).
 */
export async function interleave(contenders: readonly Contender[], options: RoundOptions): Promise<Figure[]> {
	for (let w = 0; w < options.warmup; w++) {
		for (const contender of contenders) {
			await contender.run();
		}
	}

	const results = contenders.map(() => [] as number[]);
	for (let round = 0; round < options.rounds; round++) {
		for (let k = 0; k < contenders.length; k++) {
			const index = (round + k) % contenders.length;
			results[index]!.push(await contenders[index]!.run());
		}
	}

	return contenders.map((contender, index) => ({
		name: contender.name,
		unit: contender.unit,
		median: median(results[index]!),
		rounds: results[index]!,
		spread: relativeSpread(results[index]!),
	}));
}

/**
 * Two contenders measured together by `pairedRates` (call by call, in turns), for `interleave`:
 * whichever of the two runs first in a round measures both, and the other takes its figure.
 */
export function pairedContenders(
	count: number,
	first: {readonly name: string; readonly call: () => Promise<unknown>},
	second: {readonly name: string; readonly call: () => Promise<unknown>},
	unit = 'calls/s',
): [Contender, Contender] {
	const waiting: [number[], number[]] = [[], []];
	const run = async (index: 0 | 1): Promise<number> => {
		const ready = waiting[index].shift();
		if (ready !== undefined) {
			return ready;
		}

		const rates = await pairedRates(count, first.call, second.call);
		waiting[index === 0 ? 1 : 0].push(rates[index === 0 ? 1 : 0]);
		return rates[index];
	};

	return [
		{name: first.name, unit, run: async () => run(0)},
		{name: second.name, unit, run: async () => run(1)},
	];
}
