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
 * Whatever a command threw, as PROTOCOL.md §6 wants it shown: `RPCFailed` (a fault from the
 * guest: code and message), `VirtagentFailed` (local: ENOBUFS, ETIMEDOUT, ECONNRESET…), or the
 * operator's own mistake (a bad line or an unknown command).
 */
export function commandError(error: unknown): ShapedError {
	if (error instanceof RpcFaultError) {
		return {
			error: {class: 'RPCFailed', desc: error.faultString, data: {code: error.code, message: error.faultString}},
			text: `error: RPCFailed (fault ${error.code}): ${escapeLine(error.faultString)}`,
		};
	}

	if (error instanceof VirtagentError) {
		return {
			error: {class: 'VirtagentFailed', desc: error.message, data: {code: error.code, message: error.message}},
			text: `error: VirtagentFailed (${error.code}): ${escapeLine(error.message)}`,
		};
	}

	if (error instanceof CommandLineError) {
		return {error: {class: 'InvalidParameter', desc: error.message}, text: escapeLine(error.message)};
	}

	if (error instanceof UnknownCommandError) {
		return {error: {class: 'CommandNotFound', desc: error.message}, text: escapeLine(error.message)};
	}

	const message = error instanceof Error ? error.message : String(error);
	return {error: {class: 'GenericError', desc: message}, text: `error: ${escapeLine(message)}`};
}
