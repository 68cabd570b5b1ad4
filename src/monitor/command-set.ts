import type {Command, CommandContext, CommandResult} from './command.js';
import {usage} from './command.js';
import {parseArguments, splitCommand} from './parse-args.js';
import {unknownCommand} from './unknown-command.js';

/**
 * The monitor's commands, as injected (commands/index.ts for the CLI): finding one by name,
 * running a line, and Tab completion from their declared arguments.
 */
export class CommandSet {
	readonly commands: readonly Command[];
	/** Every name and alias: a line's command is found in one lookup, not a scan of the list (every line). */
	readonly #byName = new Map<string, Command>();

	constructor(commands: readonly Command[]) {
		this.commands = commands;
		for (const command of commands) {
			for (const name of [command.name, ...(command.aliases ?? [])]) {
				if (!this.#byName.has(name)) {
					this.#byName.set(name, command);
				}
			}
		}
	}

	get names(): readonly string[] {
		return this.commands.map(command => command.name);
	}

	/** `name params` of each, as `--help` lists them. */
	get usages(): readonly string[] {
		return this.commands.map(command => usage(command));
	}

	/**
	 * Parse and run one line; rejects with what the command throws. Synchronous up to the
	 * command's first await: a command queues its job in the order its line was given.
	 */
	run(line: string, context: CommandContext): Promise<CommandResult> {
		const {name, rest} = splitCommand(line);
		return this.runSplit(name, rest, context);
	}

	/** `run` for a line already split into its command name and the rest. */
	runSplit(name: string, rest: string, context: CommandContext): Promise<CommandResult> {
		// Not async (one promise less per command line): a throw while parsing still comes out as a rejection.
		try {
			const command = this.#byName.get(name);
			if (!command) {
				throw unknownCommand(name, this.commands);
			}

			return command.run(context, parseArguments(name, rest, command.args));
		} catch (error) {
			return Promise.reject(error as Error);
		}
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

		const command = this.#byName.get(words[0]!);
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
