import {performance} from 'node:perf_hooks';
import {MethodRegistry, type CallContext} from '../engine/registry.js';
import type {DecodedCall, DecodedResponse} from '../protocol/value.js';
import {summarizeParams, summarizeValue, type GuestLog} from './log.js';

/**
 * The guest's registry: every call it answers (unknown and disabled methods too) is one log
 * line: method, params, result or fault, duration.
 */
export class ServedRegistry extends MethodRegistry {
	readonly #log: GuestLog;

	constructor(log: GuestLog) {
		super();
		this.#log = log;
	}

	override dispatch(call: DecodedCall, context: CallContext): DecodedResponse | Promise<DecodedResponse> {
		const start = performance.now();
		const response = super.dispatch(call, context);
		if (response instanceof Promise) {
			return response.then(settled => this.#logged(call, settled, start));
		}

		return this.#logged(call, response, start);
	}

	#logged(call: DecodedCall, response: DecodedResponse, start: number): DecodedResponse {
		const ms = (performance.now() - start).toFixed(1);
		const outcome = response.ok ? summarizeValue(response.value) : `fault ${response.fault.code} ${summarizeValue(response.fault.message)}`;
		this.#log.log(response.ok ? 'info' : 'warning', `rpc ${summarizeValue(call.method, 60)}${summarizeParams(call.params)} → ${outcome} (${ms} ms)`);
		return response;
	}
}
