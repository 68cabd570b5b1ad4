import {defineCommand, text} from '../src/monitor/command.js';
import {VirtagentError} from '../src/engine/errors.js';
import {escapeLine} from '../src/monitor/escape.js';

/** `use NAME`: the guest that lines without `@TARGET` run on (the prompt shows it). */
const use = defineCommand({
	name: 'use',
	args: [text('name')],
	help: 'run the next commands on this guest (the prompt shows it; @NAME COMMAND runs one line elsewhere)',
	async run(context, [name]) {
		if (!context.fleet) {
			throw new VirtagentError('EINVAL', 'use: the monitor holds one guest (give --connect several times, or --discover DIR)');
		}

		context.fleet.use(name);
		return {value: {guest: name}, text: `commands now run on ${escapeLine(name)}`};
	},
});

export default use;
