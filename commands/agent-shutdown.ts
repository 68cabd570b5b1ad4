import {defineCommand, oneOf} from '../src/monitor/command.js';
import {rpcs} from '../src/rpc/catalogue.js';

export const shutdownModes = ['halt', 'powerdown', 'reboot'] as const;

/** `agent_shutdown halt|powerdown|reboot`: prints nothing on success (PROTOCOL.md §6). */
const agentShutdown = defineCommand({
	name: 'agent_shutdown',
	args: [oneOf('shutdown type', shutdownModes)],
	help: 'ask the guest to halt, power down or reboot (va.shutdown)',
	async run(context, [mode]) {
		await context.call(rpcs.shutdown, [mode]);
		return {value: {}, text: ''};
	},
});

export default agentShutdown;
