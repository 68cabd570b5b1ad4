import {defineCommand} from '../src/monitor/command.js';
import {rpcs} from '../src/rpc/catalogue.js';

/** `agent_ping`: `ok`; a failure prints as every error does, `error: <class> (<code>): …`. */
const agentPing = defineCommand({
	name: 'agent_ping',
	args: [],
	help: 'check that the guest agent answers (va.ping)',
	async run(context) {
		await context.call(rpcs.ping, []);
		return {value: {}, text: 'ok'};
	},
});

export default agentPing;
