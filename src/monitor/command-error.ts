import {RpcFaultError, VirtagentError} from '../engine/errors.js';
import {escapeLine} from './escape.js';
import {CommandLineError} from './parse-args.js';
import type {CommandError} from './session-api.js';
import {UnknownCommandError} from './unknown-command.js';

export type ShapedError = {
	/** QMP-shaped, for `--json`. */
	readonly error: CommandError;
	/** What the operator reads; terminal-safe. */
	readonly text: string;
};

/**
 * A failure about one thing, e.g. a guest path: the operator's text names it
 * (`agent_viewfile /x: open failed: …`), since the guest's fault string may not.
 */
export class SubjectError extends Error {
	override readonly name = 'SubjectError';
	readonly subject: string;

	constructor(subject: string, cause: unknown) {
		super(cause instanceof Error ? cause.message : String(cause), {cause});
		this.subject = subject;
	}
}

/**
 * An error answer passed on as the agent gave it, QMP-shaped (the `qga` command: qemu-ga's own
 * class and desc, docs/JSON.md).
 */
export class QmpError extends Error {
	override readonly name = 'QmpError';
	constructor(
		readonly errorClass: string,
		readonly desc: string,
	) {
		super(desc);
	}
}

/** Run `work`; whatever it throws is about `subject`. */
export async function about<T>(subject: string, work: () => Promise<T>): Promise<T> {
	try {
		return await work();
	} catch (error) {
		throw new SubjectError(subject, error);
	}
}

/**
 * Whatever a command threw, as PROTOCOL.md §6 wants it shown: `RPCFailed` (a fault from the
 * guest: code and message), `VirtagentFailed` (local: ENOBUFS, ETIMEDOUT, ECONNRESET…), or the
 * operator's own mistake (a bad line or an unknown command).
 */
export function commandError(error: unknown): ShapedError {
	const subject = error instanceof SubjectError ? `${escapeLine(error.subject)}: ` : '';
	const cause = error instanceof SubjectError ? error.cause : error;
	if (cause instanceof RpcFaultError) {
		return {
			error: {class: 'RPCFailed', desc: cause.faultString, data: {code: cause.code, message: cause.faultString}},
			text: `error: RPCFailed (fault ${cause.code}): ${subject}${escapeLine(cause.faultString)}`,
		};
	}

	if (cause instanceof VirtagentError) {
		return {
			error: {class: 'VirtagentFailed', desc: cause.message, data: {code: cause.code, message: cause.message}},
			text: `error: VirtagentFailed (${cause.code}): ${subject}${escapeLine(cause.message)}`,
		};
	}

	if (cause instanceof QmpError) {
		return {error: {class: cause.errorClass, desc: cause.desc}, text: `error: ${escapeLine(cause.errorClass)}: ${subject}${escapeLine(cause.desc)}`};
	}

	if (cause instanceof CommandLineError) {
		return {error: {class: 'InvalidParameter', desc: cause.message}, text: escapeLine(cause.message)};
	}

	if (cause instanceof UnknownCommandError) {
		return {error: {class: 'CommandNotFound', desc: cause.message}, text: escapeLine(cause.message)};
	}

	const message = cause instanceof Error ? cause.message : String(cause);
	return {error: {class: 'GenericError', desc: message}, text: `error: ${subject}${escapeLine(message)}`};
}
