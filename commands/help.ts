import {defineCommand, optionalText, usage} from '../src/monitor/command.js';
import {unknownCommand} from '../src/monitor/unknown-command.js';

/** `help [command]`: `name params -- help text`, for one command or all of them. */
const help = defineCommand({
	name: 'help',
	args: [optionalText('command', {completes: 'command'})],
	help: 'show the commands, or one command, with their arguments',
	async run(context, [name]) {
		const chosen = name === undefined ? context.commands : context.commands.filter(command => command.name === name);
		if (chosen.length === 0) {
			throw unknownCommand(name!, context.commands);
		}

		const lines = chosen.map(command => `${usage(command)} -- ${command.help}`);
		return {value: lines, text: lines.join('\n')};
	},
});

export default help;
