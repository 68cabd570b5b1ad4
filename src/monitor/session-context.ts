/**
 * The CommandContext a session hands each command line. A class over one set of session hooks
 * (made once per session), not an object literal of arrow functions: the literal cost a dozen
 * closures per command, a measurable share of the monitor's CPU per agent_ping.
 */
import type {Peer, Rpc} from '../rpc/catalogue.js';
import type {WireValue} from '../wire/types.js';
import type {Command, CommandContext, CommandResult} from './command.js';
import type {FleetControl} from './fleet-api.js';
import type {GuestProtocol} from './qga/protocol-switch.js';
import type {QueueModel} from './queue-model.js';
import type {SessionStatus} from './session-api.js';

/** What a command's context reaches in its session; the session builds one of these for its life. */
export type SessionHooks = {
	readonly commands: readonly Command[];
	status(): SessionStatus;
	model(): QueueModel;
	callMethod(method: string, params: readonly WireValue[], timeoutMs: number, gated: boolean): Promise<WireValue>;
	protocol(timeoutMs: number): GuestProtocol | Promise<GuestProtocol>;
	leftoverHandle(handle: number): void;
	storeMethods(methods: readonly string[], disabled?: readonly string[]): void;
	quit(): void;
	cancel(jobId: number): boolean;
	progress(text: string): void;
	run(line: string, context: CommandContext): Promise<CommandResult>;
	/** The fleet's control (`guests`, `use`), also for a single guest. */
	readonly fleet?: FleetControl;
};

export class SessionContext implements CommandContext {
	readonly #hooks: SessionHooks;
	#now: number | undefined;

	constructor(
		hooks: SessionHooks,
		readonly timeoutMs: number,
	) {
		this.#hooks = hooks;
	}

	/** Read on first use (few commands do: a clock read per command line costs on every agent_ping). */
	get now(): number {
		this.#now ??= Date.now();
		return this.#now;
	}

	get commands(): readonly Command[] {
		return this.#hooks.commands;
	}

	get status(): SessionStatus {
		return this.#hooks.status();
	}

	get model(): QueueModel {
		return this.#hooks.model();
	}

	get fleet(): FleetControl | undefined {
		return this.#hooks.fleet;
	}

	// call, callUngated, callMethod: not async functions, which would wrap each call's promise in one more.
	call<P extends readonly unknown[], R>(rpc: Rpc<P, R, readonly Peer[]>, params: P): Promise<R> {
		return this.#callRpc(rpc, params, true);
	}

	callUngated<P extends readonly unknown[], R>(rpc: Rpc<P, R, readonly Peer[]>, params: P): Promise<R> {
		return this.#callRpc(rpc, params, false);
	}

	callMethod(method: string, params: readonly WireValue[], options?: {readonly gated?: boolean}): Promise<WireValue> {
		return this.#hooks.callMethod(method, params, this.timeoutMs, options?.gated ?? true);
	}

	protocol(): GuestProtocol | Promise<GuestProtocol> {
		return this.#hooks.protocol(this.timeoutMs);
	}

	leftoverHandle(handle: number): void {
		this.#hooks.leftoverHandle(handle);
	}

	storeMethods(methods: readonly string[], disabled?: readonly string[]): void {
		this.#hooks.storeMethods(methods, disabled);
	}

	quit(): void {
		this.#hooks.quit();
	}

	cancel(jobId: number): boolean {
		return this.#hooks.cancel(jobId);
	}

	progress(text: string): void {
		this.#hooks.progress(text);
	}

	async runWithTimeout(line: string, ms: number): Promise<CommandResult> {
		return this.#hooks.run(line, new SessionContext(this.#hooks, ms));
	}

	/**
	 * Queue the call now when the gate is open: an `await` before the session's call, even on an
	 * open gate, would let a later command's job overtake this one (pasted lines run in order).
	 */
	#callRpc<P extends readonly unknown[], R>(rpc: Rpc<P, R, readonly Peer[]>, params: P, gated: boolean): Promise<R> {
		// A `then`, not an async function with an await: one promise per call instead of two.
		let encoded: readonly WireValue[];
		try {
			encoded = rpc.encode(params);
		} catch (error) {
			return Promise.reject(error as Error);
		}

		return this.#hooks.callMethod(rpc.name, encoded, this.timeoutMs, gated).then(result => rpc.readResult(result));
	}
}
