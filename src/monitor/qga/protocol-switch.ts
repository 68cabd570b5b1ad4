/**
 * Which wire protocol the monitor speaks to a guest (docs/PROTOCOL.md §9): virtagent's own
 * XML-RPC, qemu-ga's JSON, or `auto`, which probes each new stream and then picks one. The
 * engine holds ONE protocol object for its whole life, so the choice lives in a switch that
 * delegates to the protocol picked for the current stream; the connection picks before it
 * attaches a stream, never during one.
 */
import type {Agent} from '../../engine/agent.js';
import type {CorrelationKey, ResyncRequest, WireLimits, WireProtocol, WireProtocolFactory} from '../../wire/types.js';
import {QgaProtocol} from '../../wire/qga/index.js';
import {defaultLineMax} from '../../wire/qga/line-reader.js';
import {XmlRpcProtocol} from '../../wire/xmlrpc/index.js';

/** What a guest speaks. */
export type GuestProtocol = 'virtagent' | 'qga';
/** What the operator asked for (`--protocol`). */
export type ProtocolChoice = GuestProtocol | 'auto';

export const protocolChoices: readonly ProtocolChoice[] = ['auto', 'virtagent', 'qga'];

export function isProtocolChoice(text: string): text is ProtocolChoice {
	return (protocolChoices as readonly string[]).includes(text);
}

/** How the status line and messages name a protocol. */
export function protocolLabel(protocol: GuestProtocol): string {
	return protocol === 'qga' ? 'qemu-ga' : 'virtagent';
}

export class ProtocolSwitch implements WireProtocol {
	readonly choice: ProtocolChoice;
	readonly #protocols: {readonly [P in GuestProtocol]: WireProtocol};
	#current: GuestProtocol | undefined;

	constructor(choice: ProtocolChoice, limits: WireLimits, options: {readonly qgaLog?: (message: string) => void} = {}) {
		this.choice = choice;
		this.#protocols = {
			virtagent: new XmlRpcProtocol(limits),
			qga: new QgaProtocol({
				lineMax: Math.max(defaultLineMax, limits.bodyMax),
				...(limits.bodyStallMs === undefined ? {} : {stallMs: limits.bodyStallMs}),
				...(options.qgaLog ? {log: options.qgaLog} : {}),
			}),
		};
		this.#current = choice === 'auto' ? undefined : choice;
	}

	/** The protocol of the current (or next) stream; undefined in `auto` until a probe has found one. */
	get current(): GuestProtocol | undefined {
		return this.#current;
	}

	/** Pick the protocol for the next stream (only while no stream is attached). */
	use(protocol: GuestProtocol | undefined): void {
		if (this.choice === 'auto') {
			this.#current = protocol;
		}
	}

	get #active(): WireProtocol {
		// Before a probe has decided, nothing is attached: XML-RPC is a harmless stand-in.
		return this.#protocols[this.#current ?? 'virtagent'];
	}

	/** The qemu-ga protocol object (its counters, its sync state). */
	get qga(): QgaProtocol {
		return this.#protocols.qga as QgaProtocol;
	}

	get name(): string {
		return this.#active.name;
	}

	get reader(): WireProtocol['reader'] {
		return this.#active.reader;
	}

	get writer(): WireProtocol['writer'] {
		return this.#active.writer;
	}

	get hasServerSide(): boolean {
		return this.#active.hasServerSide;
	}

	nextKey(): CorrelationKey {
		return this.#active.nextKey();
	}

	expectsReply(method: string): boolean {
		return this.#active.expectsReply(method);
	}

	resyncRequest(): ResyncRequest | undefined {
		return this.#active.resyncRequest();
	}

	abandoned(key: CorrelationKey): void {
		this.#active.abandoned(key);
	}

	reset(): void {
		this.#active.reset();
	}
}

/** The agent's protocol for a choice (`AgentOptions.protocol`). */
export function guestProtocolFactory(choice: ProtocolChoice, options: {readonly qgaLog?: (message: string) => void} = {}): WireProtocolFactory {
	return limits => new ProtocolSwitch(choice, limits, options);
}

/** The switch an agent was built with, if any. */
export function protocolSwitchOf(agent: Agent): ProtocolSwitch | undefined {
	return agent.protocol instanceof ProtocolSwitch ? agent.protocol : undefined;
}

/** What the agent speaks on its current (or next) stream: an agent built without a switch speaks its one protocol. */
export function guestProtocolOf(agent: Agent): GuestProtocol | undefined {
	const wire = protocolSwitchOf(agent);
	if (wire) {
		return wire.current;
	}

	return agent.protocol.name === 'qga' ? 'qga' : 'virtagent';
}

/** The agent's qemu-ga protocol object, when it has one. */
export function qgaProtocolOf(agent: Agent): QgaProtocol | undefined {
	const wire = protocolSwitchOf(agent);
	if (wire) {
		return wire.qga;
	}

	return agent.protocol instanceof QgaProtocol ? agent.protocol : undefined;
}
