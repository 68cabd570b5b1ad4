import type {Agent} from '../engine/agent.js';
import {RpcFaultError} from '../engine/errors.js';
import type {XmlRpcValue} from '../protocol/value.js';
import {escapeLine} from './escape.js';

export type Negotiated = {
	readonly methods: readonly string[];
	readonly version: string | undefined;
};

export type NegotiatorOptions = {
	readonly timeoutMs: number;
	readonly onNegotiated: (result: Negotiated) => void;
	readonly onLog: (level: 'info' | 'warn', message: string) => void;
};

/**
 * The host's half of the handshake (PROTOCOL.md §5): ask the guest for its methods as soon as
 * the stream is up and again after every hello. A request while one runs is folded into one
 * more round after it; a result from before a channel reset is thrown away.
 */
export class Negotiator {
	readonly #agent: Agent;
	readonly #options: NegotiatorOptions;
	#running = false;
	#again = false;
	#generation = 0;

	constructor(agent: Agent, options: NegotiatorOptions) {
		this.#agent = agent;
		this.#options = options;
	}

	start(): void {
		if (this.#running) {
			this.#again = true;
			return;
		}

		void this.#run();
	}

	/** The channel went down: whatever is in progress belongs to the old guest. */
	reset(): void {
		this.#generation++;
		this.#again = false;
	}

	async #run(): Promise<void> {
		this.#running = true;
		try {
			do {
				this.#again = false;
				const generation = this.#generation;
				const result = await this.#negotiateOnce();
				if (result && generation === this.#generation) {
					this.#options.onNegotiated(result);
				}
			} while (this.#again && this.#agent.connected);
		} finally {
			this.#running = false;
		}
	}

	async #negotiateOnce(): Promise<Negotiated | undefined> {
		const timeoutMs = this.#options.timeoutMs;
		let methods: string[] | undefined;
		let version: string | undefined;
		try {
			methods = methodNames(await this.#agent.call('system.listMethods', [], {timeoutMs}));
		} catch (error) {
			if (!(error instanceof RpcFaultError)) {
				this.#options.onLog('warn', `negotiation failed: system.listMethods: ${escapeLine((error as Error).message)}`);
				return undefined;
			}
			// A guest without system.listMethods may still describe itself with va.capabilities.
		}

		if (methods === undefined || methods.includes('va.capabilities')) {
			try {
				const capabilities = await this.#agent.call('va.capabilities', [], {timeoutMs});
				const described = describedCapabilities(capabilities);
				methods ??= described.methods;
				version = described.version;
			} catch (error) {
				this.#options.onLog('warn', `negotiation: va.capabilities: ${escapeLine((error as Error).message)}`);
			}
		}

		if (methods === undefined) {
			this.#options.onLog('warn', 'negotiation failed: the guest described none of its methods');
			return undefined;
		}

		return {methods, version};
	}
}

function methodNames(value: XmlRpcValue | undefined): string[] | undefined {
	return Array.isArray(value) && value.every(name => typeof name === 'string') ? [...(value as string[])] : undefined;
}

function describedCapabilities(value: XmlRpcValue): {methods: string[] | undefined; version: string | undefined} {
	if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value) || value instanceof Date) {
		return {methods: undefined, version: undefined};
	}

	const struct = value as Readonly<Record<string, XmlRpcValue>>;
	const version = Object.hasOwn(struct, 'version') && typeof struct.version === 'string' ? struct.version : undefined;
	return {methods: Object.hasOwn(struct, 'methods') ? methodNames(struct.methods) : undefined, version};
}
