import type {Command} from './command.js';
import {escapeLine} from './escape.js';
import {suggest} from './parse-args.js';

/** An unknown command name, with the closest real one when there is one. */
export class UnknownCommandError extends Error {
	override readonly name = 'CommandNotFound';
}

/** The command a name (or one of its aliases: `?`, `q`, `exit`) stands for. */
export function findCommand(name: string, commands: readonly Command[]): Command | undefined {
	return commands.find(command => command.name === name || command.aliases?.includes(name));
}

/**
 * `ping` and `viewfile` are the guest commands without their `agent_` prefix (as qemu-ga's
 * `guest-ping` is typed `ping` in qga clients): offer the prefixed name, else the closest name.
 */
export function unknownCommand(name: string, commands: readonly Command[]): UnknownCommandError {
	const names = commands.map(command => command.name);
	const prefixed = `agent_${name}`;
	const close = names.includes(prefixed)
		? prefixed
		: (suggest(name, names) ??
			suggest(
				prefixed,
				names.filter(candidate => candidate.startsWith('agent_')),
			));
	return new UnknownCommandError(`unknown command: '${escapeLine(name)}'${close ? ` (did you mean ${close}?)` : ''}`);
}
