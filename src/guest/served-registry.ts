import {MethodRegistry, type CallContext} from '../engine/registry.js';
import type {DecodedCall, DecodedResponse} from '../protocol/value.js';
import {summarizeParams, summarizeValue, type GuestLog} from './log.js';

/**
 * Liveness and discovery calls, which a host makes often (a monitor pings, a benchmark
 * thousands of times) and which reveal nothing: answered, each is a line at debug level only,
 * and they are counted in a summary line at info. A line per call cost the daemon ~8% of its
 * rate on a host, and far more in a VM whose log is a serial console or the journal.
 */
const quietMethods: ReadonlySet<string> = new Set(['va.ping', 'va.capabilities', 'system.listMethods']);
/** A summary at most this often, and only after calls: an idle daemon never wakes for it. */
const summaryDelayMs = 60_000;

/** Milliseconds, finely: process.hrtime, as performance.now would load node:perf_hooks before the hello. */
function nowMs(): number {
	return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * The guest's registry: every call it answers (unknown and disabled methods too) is one log
 * line: method, params, result or fault, duration; at info, or warning for a fault, except the
 * quiet methods above (debug, counted).
 */
export class ServedRegistry extends MethodRegistry {
	readonly #log: GuestLog;
	readonly #quietCounts = new Map<string, number>();
	#summaryTimer: NodeJS.Timeout | undefined;

	constructor(log: GuestLog) {
		super();
		this.#log = log;
	}

	override dispatch(call: DecodedCall, context: CallContext): DecodedResponse | Promise<DecodedResponse> {
		// A quiet call that will not be logged needs no clock.
		const start = this.#log.verbose || !quietMethods.has(call.method) ? nowMs() : 0;
		const response = super.dispatch(call, context);
		if (response instanceof Promise) {
			return response.then(settled => this.#logged(call, settled, start));
		}

		return this.#logged(call, response, start);
	}

	/** Logs the counts of quiet calls since the last summary, if any (also on a timer). */
	summarize(): void {
		clearTimeout(this.#summaryTimer);
		this.#summaryTimer = undefined;
		if (this.#quietCounts.size > 0) {
			const counts = [...this.#quietCounts].map(([method, count]) => `${method} ${count}`).join(', ');
			this.#quietCounts.clear();
			this.#log.log('info', `rpc calls answered (not logged one by one): ${counts}`);
		}
	}

	#logged(call: DecodedCall, response: DecodedResponse, start: number): DecodedResponse {
		const quiet = response.ok && quietMethods.has(call.method);
		if (quiet) {
			this.#quietCounts.set(call.method, (this.#quietCounts.get(call.method) ?? 0) + 1);
			if (this.#summaryTimer === undefined) {
				this.#summaryTimer = setTimeout(() => {
					this.summarize();
				}, summaryDelayMs);
				this.#summaryTimer.unref();
			}

			if (!this.#log.verbose) {
				return response;
			}
		}

		const ms = (nowMs() - start).toFixed(1);
		const outcome = response.ok ? summarizeValue(response.value) : `fault ${response.fault.code} ${summarizeValue(response.fault.message)}`;
		this.#log.log(
			quiet ? 'debug' : response.ok ? 'info' : 'warning',
			`rpc ${summarizeValue(call.method, 60)}${summarizeParams(call.params)} → ${outcome} (${ms} ms)`,
		);
		return response;
	}
}
