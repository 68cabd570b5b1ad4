import {type BenchOptions, scratch, withCleanup} from '../lib/context.js';
import {type CaseResult, compare, present} from '../lib/result.js';
import {type Figure} from '../lib/rounds.js';
import {median, relativeSpread} from '../lib/stats.js';
import {callLoop} from '../peers/agents.js';
import {startStandIn} from '../peers/stand-in.js';

const unit = 'calls/s';

/**
 * Case 4: both directions at once. The host (here) pings the stand-in guest process while the
 * guest pings the host, each one call at a time; every call must be answered (a failure fails
 * the case). Each round also measures each direction alone, for the ratio.
 */
export async function duplexCase(options: BenchOptions): Promise<CaseResult> {
	const names = ['host→guest alone', 'guest→host alone', 'host→guest during duplex', 'guest→host during duplex', 'both directions together'] as const;
	const rounds = new Map<string, number[]>(names.map(name => [name, []]));
	const record = (name: (typeof names)[number], value: number) => rounds.get(name)!.push(value);

	await withCleanup(async defer => {
		const work = scratch('duplex');
		defer(work.remove);
		const standIn = await startStandIn(work.file('stand-in.sock'));
		defer(standIn.stop);
		const calls = options.calls;
		for (let round = -options.warmup; round < options.rounds; round++) {
			const hostAlone = await callLoop(standIn.host, 'va.ping', [], calls);
			const guestAlone = await standIn.pingHost(calls);
			const [hostDuplex, guestDuplex] = await Promise.all([callLoop(standIn.host, 'va.ping', [], calls), standIn.pingHost(calls)]);
			if (round >= 0) {
				record('host→guest alone', hostAlone);
				record('guest→host alone', guestAlone);
				record('host→guest during duplex', hostDuplex);
				record('guest→host during duplex', guestDuplex);
				record('both directions together', hostDuplex + guestDuplex);
			}
		}
	});

	const figures: Figure[] = names.map(name => {
		const values = rounds.get(name)!;
		return {name, unit, median: median(values), rounds: values, spread: relativeSpread(values)};
	});
	return {
		id: 'duplex',
		title: '4. Both directions at once: host pings the guest while the guest pings the host',
		figures,
		comparisons: present([
			compare(figures, 'host→guest: duplex / alone', 'host→guest during duplex', 'host→guest alone'),
			compare(figures, 'guest→host: duplex / alone', 'guest→host during duplex', 'guest→host alone'),
			compare(figures, 'both together / host→guest alone', 'both directions together', 'host→guest alone'),
		]),
		checks: [],
		notes: [`every call answered: ${options.rounds + options.warmup} rounds × ${options.calls} calls each way, none failed (a failure aborts the case)`],
	};
}
