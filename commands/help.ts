import {defineCommand, optionalText} from '../src/monitor/command.js';
import {CommandLineError} from '../src/monitor/parse-args.js';
import {findCommand, unknownCommand} from '../src/monitor/unknown-command.js';
import {infoTopics} from './info.js';

type HelpEntry = {readonly name: string; readonly params: string; readonly help: string; readonly aliases?: readonly string[]};

/**
 * `help [command [topic]]` (also `?`): `name params -- help text`, for every command, one, or
 * one `info` topic (`help info agent`). JSON: `{commands: [{name, params, help, aliases?}]}`.
 */
const help = defineCommand({
	name: 'help',
	aliases: ['?'],
	args: [optionalText('command', {completes: 'command'}), optionalText('topic')],
	help: 'show the commands, or one command (help info agent: one info topic), with their arguments',
	async run(context, [name, topic]) {
		let entries: readonly HelpEntry[];
		if (name === undefined) {
			entries = context.commands;
		} else {
			const command = findCommand(name, context.commands);
			if (!command) {
				throw unknownCommand(name, context.commands);
			}

			entries = command.name === 'info' ? infoEntries(topic) : [command];
			if (topic !== undefined && command.name !== 'info') {
				throw new CommandLineError('help: extraneous characters at the end of line');
			}
		}

		const value = entries.map(entry => ({name: entry.name, params: entry.params, help: entry.help, ...(entry.aliases ? {aliases: entry.aliases} : {})}));
		return {value: {commands: value}, text: entries.map(entry => helpLine(entry)).join('\n')};
	},
});

/** `help info`: each topic; `help info agent`: that one. */
function infoEntries(topic: string | undefined): readonly HelpEntry[] {
	const chosen = topic === undefined ? infoTopics : infoTopics.filter(candidate => candidate.name === topic);
	if (chosen.length === 0) {
		throw new CommandLineError(`help: no info topic '${topic!}' (expected ${infoTopics.map(candidate => candidate.name).join(', ')})`);
	}

	return chosen.map(entry => ({name: `info ${entry.name}`, params: entry.params, help: entry.help}));
}

function helpLine(entry: HelpEntry): string {
	const aliases = entry.aliases?.length ? ` (also ${entry.aliases.join(', ')})` : '';
	return `${entry.params === '' ? entry.name : `${entry.name} ${entry.params}`} -- ${entry.help}${aliases}`;
}

export default help;
