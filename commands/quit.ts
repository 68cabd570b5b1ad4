import {defineCommand} from '../src/monitor/command.js';

/** `quit` (`q`, `exit`): leave the monitor (Ctrl-D does the same); a script stops here. */
const quit = defineCommand({
	name: 'quit',
	aliases: ['q', 'exit'],
	args: [],
	help: 'leave the monitor (Ctrl-D does the same)',
	async run(context) {
		context.quit();
		return {value: {}, text: ''};
	},
});

export default quit;
