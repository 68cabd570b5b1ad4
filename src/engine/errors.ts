import type {Fault} from '../protocol/value.js';

/** Local failure codes (PROTOCOL.md §6 VirtagentFailed), named like the errnos they mirror. */
export type VirtagentErrorCode = 'ENOBUFS' | 'ETIMEDOUT' | 'ECONNRESET' | 'EPROTO' | 'ENOTCONN' | 'ECANCELED' | 'ENOSYS' | 'EINVAL';

/** A job failed on this end: queue full, timeout, channel lost, bad reply… */
export class VirtagentError extends Error {
	override readonly name = 'VirtagentFailed';
	constructor(
		readonly code: VirtagentErrorCode,
		message: string,
	) {
		super(message);
	}
}

/** The peer answered with an XML-RPC fault (PROTOCOL.md §6 RPCFailed). */
export class RpcFaultError extends Error {
	override readonly name = 'RPCFailed';
	readonly code: number;
	readonly faultString: string;
	/** A named error's class (qemu-ga's `CommandNotFound`, `GenericError`), when the protocol has one. */
	readonly errorClass: string | undefined;
	constructor(fault: Fault & {readonly errorClass?: string}) {
		super(`fault ${fault.code}: ${fault.message}`);
		this.code = fault.code;
		this.faultString = fault.message;
		this.errorClass = fault.errorClass;
	}
}

/** A handler throws this to answer with a specific fault code. */
export class RpcFault extends Error {
	override readonly name = 'RpcFault';
	constructor(
		readonly code: number,
		message: string,
	) {
		super(message);
	}
}
