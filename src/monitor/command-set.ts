import type {Command, CommandContext, CommandResult} from './command.js';
import {usage} from './command.js';
import {parseArguments, splitCommand} from './parse-args.js';
import {findCommand, unknownCommand} from './unknown-command.js';

/**
 * The monitor's commands, as injected (commands/index.ts for the CLI): finding one by name,
 * running a line, and Tab completion from their declared arguments.
 */
export class CommandSet {
	readonly commands: readonly Command[];

	constructor(commands: readonly Command[]) {
		this.commands = commands;
	}

	get names(): readonly string[] {
		return this.commands.map(command => command.name);
	}

	/** `name params` of each, as `--help` lists them. */
	get usages(): readonly string[] {
		return this.commands.map(command => usage(command));
	}

	/**
	 * Parse and run one line; throws what the command throws. Synchronous up to the command's
	 * first await: a command queues its job in the order its line was given.
	 */
	async run(line: string, context: CommandContext): Promise<CommandResult> {
		const {name, rest} = splitCommand(line);
		const command = findCommand(name, this.commands);
		if (!command) {
			throw unknownCommand(name, this.commands);
		}

		return command.run(context, parseArguments(name, rest, command.args));
	}

	/**
	 * Tab completion: command names for the first word, then what each argument declares;
	 * `guestCommands` are what a `guest command` argument offers (qemu-ga's enabled commands).
	 */
	complete(line: string, guestCommands: readonly string[] = []): readonly string[] {
		const words = line.trimStart().split(/\s+/u);
		const current = words.at(-1) ?? '';
		const matching = (candidates: readonly string[]) => candidates.filter(candidate => candidate.startsWith(current));
		if (words.length <= 1) {
			return matching(this.names);
		}

		const command = findCommand(words[0]!, this.commands);
		if (!command) {
			return [];
		}

		const last = command.args.at(-1);
		if (last?.completes === 'command line' && words.length > command.args.length) {
			// `timeout 30 agent_sh…`: complete the command line that follows.
			return this.complete(words.slice(command.args.length).join(' '), guestCommands);
		}

		const arg = command.args[words.length - 2];
		return matching(arg?.completes === 'command' ? this.names : arg?.completes === 'guest command' ? guestCommands : (arg?.choices ?? []));
	}
}
