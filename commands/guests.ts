import {defineCommand} from '../src/monitor/command.js';
import {VirtagentError} from '../src/engine/errors.js';
import {guestsTable} from '../src/monitor/fleet/guests-table.js';

/** `guests`: every guest of the fleet, one row each (docs/JSON.md: `{guests: [...]}`). */
const guests = defineCommand({
	name: 'guests',
	args: [],
	help: 'list the guests: name, protocol, connection, ready since, queue, last round trip, failures',
	async run(context) {
		if (!context.fleet) {
			throw new VirtagentError('EINVAL', 'guests: the monitor holds one guest (give --connect several times, or --discover DIR)');
		}

		return guestsTable(context.fleet.rows(), context.fleet.target, context.now);
	},
});

export default guests;
