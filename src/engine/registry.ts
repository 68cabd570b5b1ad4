import {FaultCode, type DecodedCall, type DecodedResponse, type XmlRpcValue} from '../protocol/value.js';
import {RpcFault} from './errors.js';

export type CallContext = {
	/** The tag of the request being answered (for logs). */
	readonly tag: string | undefined;
	/**
	 * Run `action` once this request's answer is settled: `sent` is true only if the handler's
	 * success answer is the one written to the peer (docs/PROTOCOL.md §4). A fault answer, an
	 * answer that could not be encoded, a dropped job: false. A side effect (va.shutdown) acts
	 * only on true.
	 */
	readonly afterReply: (action: (sent: boolean) => void) => void;
};

export type MethodHandler = (params: readonly XmlRpcValue[], context: CallContext) => XmlRpcValue | Promise<XmlRpcValue>;

export type MethodInfo = {
	readonly name: string;
	readonly help: string;
	readonly handler: MethodHandler;
};

/**
 * The server side's methods. Dispatch never throws: unknown methods answer -506, disabled ones
 * -508, RpcFault its own code, any other handler error -500.
 */
export class MethodRegistry {
	readonly #methods = new Map<string, MethodInfo>();
	readonly #disabled = new Set<string>();

	constructor() {
		this.register('system.listMethods', 'List the methods this end serves.', () => this.listMethods());
	}

	register(name: string, help: string, handler: MethodHandler): this {
		this.#methods.set(name, {name, help, handler});
		return this;
	}

	/** Disabled methods answer -508 and are left out of listMethods (like qemu-ga's block list). */
	disable(name: string): this {
		this.#disabled.add(name);
		return this;
	}

	has(name: string): boolean {
		return this.#methods.has(name);
	}

	isEnabled(name: string): boolean {
		return this.#methods.has(name) && !this.#disabled.has(name);
	}

	/** Every registered name, enabled or not. */
	allMethods(): string[] {
		return [...this.#methods.keys()].sort();
	}

	listMethods(): string[] {
		return this.allMethods().filter(name => !this.#disabled.has(name));
	}

	/** Synchronous for a synchronous handler (most are): no promise, no timer on the hot path. */
	dispatch(call: DecodedCall, context: CallContext): DecodedResponse | Promise<DecodedResponse> {
		const method = this.#methods.get(call.method);
		if (!method) {
			return fault(FaultCode.methodNotFound, `Method '${call.method}' not defined`);
		}

		if (this.#disabled.has(call.method)) {
			return fault(FaultCode.methodDisabled, `Method '${call.method}' is disabled by the guest's configuration`);
		}

		let value: XmlRpcValue | Promise<XmlRpcValue>;
		try {
			value = method.handler(call.params, context);
		} catch (error) {
			return faultFrom(error);
		}

		return value instanceof Promise ? value.then(resolved => ({ok: true, value: resolved}), faultFrom) : {ok: true, value};
	}
}

/** A handler's error as a fault: an RpcFault keeps its code, anything else is -500. */
function faultFrom(error: unknown): DecodedResponse {
	if (error instanceof RpcFault) {
		return fault(error.code, error.message);
	}

	return fault(FaultCode.internal, error instanceof Error ? error.message : String(error));
}

function fault(code: number, message: string): DecodedResponse {
	return {ok: false, fault: {code, message}};
}

/** Parameter checks for handlers: a wrong or missing parameter is fault -501. */
export function stringParam(params: readonly XmlRpcValue[], index: number, name: string): string {
	const value = params[index];
	if (typeof value !== 'string') {
		throw new RpcFault(
			FaultCode.typeError,
			value === undefined ? `missing parameter ${index + 1} (${name}): string expected` : `parameter ${index + 1} (${name}): string expected`,
		);
	}

	return value;
}

export function noParams(params: readonly XmlRpcValue[]): void {
	if (params.length > 0) {
		throw new RpcFault(FaultCode.typeError, `expected no parameters, got ${params.length}`);
	}
}
