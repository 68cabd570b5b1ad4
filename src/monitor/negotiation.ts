/**
 * The host's half of the handshake (docs/PROTOCOL.md §5): learn the guest's methods once per
 * stream, as soon as it is up, and again after every hello. One RPC a round: va.capabilities
 * (methods, version, limits), or system.listMethods for a guest that lacks it; on qemu-ga
 * (§9), guest-info: its version and the commands it has ENABLED (the gate), plus the disabled
 * ones (named in the gate's message).
 */
import {setTimeout as sleep} from 'node:timers/promises';
import type {Agent} from '../engine/agent.js';
import {RpcFaultError} from '../engine/errors.js';
import {rpcs, type Capabilities} from '../rpc/catalogue.js';
import {escapeLine} from './escape.js';
import {qgaInfo} from './qga/commands.js';
import {qgaProtocolOf, type GuestProtocol} from './qga/protocol-switch.js';
import {describeSyncTimeout} from '../wire/qga/index.js';
import {VirtagentError} from '../engine/errors.js';

/** What a guest that already has a host says before it closes the stream (docs/PROTOCOL.md §1). */
export const anotherHostMessage = 'another host is connected';

export type Negotiated = {
	readonly methods: readonly string[];
	readonly version: string | undefined;
	readonly limits: Capabilities['limits'];
	/** qemu-ga: the commands guest-info lists as disabled. */
	readonly disabled?: readonly string[];
};

/**
 * qemu-ga reads its channel one request at a time and queues the rest there (docs/QGA.md: two
 * requests in one write get two replies, in order): a few in flight hide the round trip.
 */
export const qgaPipelineDepth = 4;

export type NegotiationOptions = {
	readonly agent: Agent;
	readonly timeoutMs: number;
	/** What the current stream speaks (undefined counts as virtagent). */
	readonly protocol?: () => GuestProtocol | undefined;
	readonly onNegotiated: (result: Negotiated) => void;
	/** The guest turned this host away (another host is connected). */
	readonly onRefused: (reason: string) => void;
	readonly onLog: (level: 'info' | 'warn', message: string) => void;
};

/** Ask the guest once; undefined (and a log line) when it did not say. */
async function negotiateOnce(options: NegotiationOptions): Promise<Negotiated | undefined> {
	const {agent, timeoutMs} = options;
	const call = {timeoutMs};
	if (options.protocol?.() === 'qga') {
		const info = await qgaInfo(async (method, params) => agent.call(method, params as never, call));
		return {methods: info.enabled, version: info.version, disabled: info.disabled, limits: {serverQueue: qgaPipelineDepth, body: undefined}};
	}

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

/** A round that failed (a framing error, a timeout) is tried again after these pauses, then every 15 s. */
const retryDelaysMs = [250, 1000, 4000, 15_000];

export class Negotiation {
	readonly #options: NegotiationOptions;
	/** Failed rounds in a row on this stream. */
	#failures = 0;
	/** The pause before the next try, if one is pending: a round started otherwise ends it. */
	#pause: AbortController | undefined;
	/** The stream's scope: aborted when it goes down, so a late answer is thrown away. */
	#stream: AbortController | undefined;
	/** The round in progress, if any (its stream's signal). */
	#round: AbortSignal | undefined;
	#helloDuringRound = false;
	/** The guest turned this host away: no point asking again on this stream. */
	#refused = false;

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
		this.#failures = 0;
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
		this.#refused = false;
		this.#pause?.abort();
		this.#pause = undefined;
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
			this.#failures = 0;
			this.#options.onNegotiated(result);
		} else if (this.#helloDuringRound) {
			void this.#run(signal);
		} else if (!this.#refused) {
			// One bad frame or a slow answer must not leave the gate shut for the whole stream.
			void this.#retry(signal);
		}
	}

	async #retry(signal: AbortSignal): Promise<void> {
		const delay = retryDelaysMs[Math.min(this.#failures, retryDelaysMs.length - 1)]!;
		this.#failures++;
		const pause = new AbortController();
		this.#pause = pause;
		try {
			await sleep(delay, undefined, {signal: AbortSignal.any([signal, pause.signal]), ref: false});
		} catch {
			return; // The stream went down, or a hello started a round meanwhile.
		}

		void this.#run(signal);
	}

	#failed(error: Error): void {
		if (error instanceof RpcFaultError && error.faultString === anotherHostMessage) {
			this.#refused = true;
			this.#options.onRefused(anotherHostMessage);
			return;
		}

		this.#options.onLog('warn', `negotiation failed: ${escapeLine(describeFailure(this.#options, error))}`);
	}
}

/** A qemu-ga that never answered the sync is most likely held by another client: say so (§9). */
export function describeFailure(options: Pick<NegotiationOptions, 'agent' | 'timeoutMs' | 'protocol'>, error: Error): string {
	const qga = options.protocol?.() === 'qga' ? qgaProtocolOf(options.agent) : undefined;
	if (qga && error instanceof VirtagentError && error.code === 'ETIMEDOUT' && !qga.inStep) {
		return describeSyncTimeout(qga, options.timeoutMs);
	}

	return error.message;
}
