import type {QgaErrorBody} from './messages.js';

/** qemu-ga answered with an error (`CommandNotFound`, `GenericError`); the RPCFailed class. */
export class QgaCommandError extends Error {
	override readonly name = 'RPCFailed';
	readonly errorClass: string;
	readonly desc: string;
	constructor(error: QgaErrorBody) {
		super(`${error.class}: ${error.desc}`);
		this.errorClass = error.class;
		this.desc = error.desc;
	}
}
