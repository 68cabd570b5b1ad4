/**
 * The host's half of the handshake (docs/PROTOCOL.md §5): learn the guest's methods once per
 * stream, as soon as it is up, and again after every hello. One RPC a round: va.capabilities
 * (methods, version, limits), or system.listMethods for a guest that lacks it.
 */
import type {Agent} from '../engine/agent.js';
import {RpcFaultError} from '../engine/errors.js';
import {rpcs, type Capabilities} from '../rpc/catalogue.js';
import {escapeLine} from './escape.js';

/** What a guest that already has a host says before it closes the stream (docs/PROTOCOL.md §1). */
export const anotherHostMessage = 'another host is connected';

export type Negotiated = {
	readonly methods: readonly string[];
	readonly version: string | undefined;
	readonly limits: Capabilities['limits'];
};

export type NegotiationOptions = {
	readonly agent: Agent;
	readonly timeoutMs: number;
	readonly onNegotiated: (result: Negotiated) => void;
	/** The guest turned this host away (another host is connected). */
	readonly onRefused: (reason: string) => void;
	readonly onLog: (level: 'info' | 'warn', message: string) => void;
};

/** Ask the guest once; undefined (and a log line) when it did not say. */
async function negotiateOnce(options: NegotiationOptions): Promise<Negotiated | undefined> {
	const {agent, timeoutMs} = options;
	const call = {timeoutMs};
	try {
		const capabilities = rpcs.capabilities.readResult(await agent.call(rpcs.capabilities.name, [], call));
		const methods = capabilities.methods ?? rpcs.listMethods.readResult(await agent.call(rpcs.listMethods.name, [], call));
		return {methods, version: capabilities.version, limits: capabilities.limits};
	} catch (error) {
		if (!(error instanceof RpcFaultError) || error.faultString === anotherHostMessage) {
			throw error;
		}
	}

	// An older guest without va.capabilities (fault -506) still lists its methods.
	const methods = rpcs.listMethods.readResult(await agent.call(rpcs.listMethods.name, [], call));
	return {methods, version: undefined, limits: undefined};
}

export class Negotiation {
	readonly #options: NegotiationOptions;
	/** The stream's scope: aborted when it goes down, so a late answer is thrown away. */
	#stream: AbortController | undefined;
	/** The round in progress, if any (its stream's signal). */
	#round: AbortSignal | undefined;
	#helloDuringRound = false;

	constructor(options: NegotiationOptions) {
		this.#options = options;
	}

	get running(): boolean {
		return this.#round !== undefined;
	}

	/** A stream came up: negotiate once for it. */
	streamUp(): void {
		this.#stream?.abort();
		this.#stream = new AbortController();
		void this.#run(this.#stream.signal);
	}

	/** The stream went down: whatever is in progress belongs to the old guest. */
	streamDown(): void {
		this.#stream?.abort();
		this.#stream = undefined;
	}

	/**
	 * The guest said hello. During a round, the round's answer comes after the hello on the
	 * stream, so it already describes the guest that said it: no second round, unless it fails.
	 */
	hello(): void {
		if (this.#round) {
			this.#helloDuringRound = true;
		} else if (this.#stream) {
			void this.#run(this.#stream.signal);
		}
	}

	async #run(signal: AbortSignal): Promise<void> {
		this.#round = signal;
		this.#helloDuringRound = false;
		let result: Negotiated | undefined;
		try {
			result = await negotiateOnce(this.#options);
		} catch (error) {
			if (!signal.aborted) {
				this.#failed(error as Error);
			}
		}

		if (this.#round !== signal) {
			return;
		}

		this.#round = undefined;
		if (signal.aborted) {
			return;
		}

		if (result) {
			this.#options.onNegotiated(result);
		} else if (this.#helloDuringRound) {
			void this.#run(signal);
		}
	}

	#failed(error: Error): void {
		if (error instanceof RpcFaultError && error.faultString === anotherHostMessage) {
			this.#options.onRefused(anotherHostMessage);
			return;
		}

		this.#options.onLog('warn', `negotiation failed: ${escapeLine(error.message)}`);
	}
}
