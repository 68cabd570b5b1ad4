/**
 * The `qga` command's parts (commands/qga.ts): its JSON arguments checked before anything is
 * sent, the call, and the answer as the operator reads it (guest data escaped, one value per
 * line, bounded nesting already checked by the reader).
 */
import {RpcFaultError} from '../../engine/errors.js';
import {JsonInputError, parseBoundedJson} from '../../wire/qga/json.js';
import type {WireValue} from '../../wire/types.js';
import type {CommandContext, CommandResult} from '../command.js';
import {QmpError} from '../command-error.js';
import {escapeLine} from '../escape.js';
import {CommandLineError} from '../parse-args.js';

/** The rest of the line as ONE JSON object (spaces and quotes allowed), or no arguments. */
export function parseQgaArguments(json: string | undefined): Readonly<Record<string, unknown>> | undefined {
	if (json === undefined || json.trim() === '') {
		return undefined;
	}

	let value: unknown;
	try {
		value = parseBoundedJson(json);
	} catch (error) {
		const why = error instanceof JsonInputError ? error.message : (error as Error).message;
		throw new CommandLineError(`qga: the arguments are not JSON: ${why}`);
	}

	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new CommandLineError('qga: the arguments must be one JSON object, e.g. {"path": "/etc/hostname"}');
	}

	return value as Record<string, unknown>;
}

/** Run it; qemu-ga's error comes back QMP-shaped with its own class. */
export async function runQgaCommand(context: CommandContext, command: string, args: Readonly<Record<string, unknown>> | undefined): Promise<CommandResult> {
	let value: WireValue;
	try {
		value = await context.callMethod(command, args === undefined ? [] : [args as WireValue], {gated: false});
	} catch (error) {
		if (error instanceof RpcFaultError && error.errorClass !== undefined) {
			throw new QmpError(error.errorClass, error.faultString);
		}

		throw error;
	}

	return {value, text: showQgaReturn(value)};
}

/** `guest-shutdown` and the like answer nothing on success: say what was seen instead. */
function noReplyOf(value: unknown): string | undefined {
	if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1) {
		const seen = (value as Record<string, unknown>)['noReply'];
		if (seen === 'channel-closed' || seen === 'silence') {
			return seen;
		}
	}

	return undefined;
}

/** Readable: `{}` is `ok`, a scalar as itself, anything else indented JSON, every line escaped. */
export function showQgaReturn(value: unknown): string {
	const noReply = noReplyOf(value);
	if (noReply !== undefined) {
		return noReply === 'channel-closed'
			? 'no reply (qemu-ga sends none on success) and the channel closed'
			: 'no reply within the timeout (qemu-ga sends none on success)';
	}

	if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0) {
		return 'ok';
	}

	const json = JSON.stringify(value, undefined, 2) ?? 'null';
	return json
		.split('\n')
		.map(line => escapeLine(line))
		.join('\n');
}
