import {defineCommand} from '../src/monitor/command.js';

/** `quit`: leave the monitor (Ctrl-D does the same); a script stops here. */
const quit = defineCommand({
	name: 'quit',
	args: [],
	help: 'leave the monitor (also Ctrl-D)',
	async run(context) {
		context.quit();
		return {value: {}, text: ''};
	},
});

export default quit;
