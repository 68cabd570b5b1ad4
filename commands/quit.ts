import type {Command} from '../src/monitor/command.js';

/** `quit` (`q`, `exit`): leave the monitor (Ctrl-D does the same); a script stops here. */
const quit: Command = {
	name: 'quit',
	aliases: ['q', 'exit'],
	args: [],
	params: '',
	help: 'leave the monitor (Ctrl-D does the same)',
	async run(context) {
		context.quit();
		return {value: {}, text: ''};
	},
};

export default quit;
