import type {Command} from './command.js';
import {escapeLine} from './escape.js';
import {suggest} from './parse-args.js';

/** An unknown command name, with the closest real one when there is one. */
export class UnknownCommandError extends Error {
	override readonly name = 'CommandNotFound';
}

export function unknownCommand(name: string, commands: readonly Command[]): UnknownCommandError {
	const close = suggest(name, commands.map(command => command.name));
	return new UnknownCommandError(`unknown command: '${escapeLine(name)}'${close ? ` (did you mean ${close}?)` : ''}`);
}
