import {defineCommand, oneOf} from '../src/monitor/command.js';
import {about} from '../src/monitor/command-error.js';
import {rpcs} from '../src/rpc/catalogue.js';

export const shutdownModes = ['halt', 'powerdown', 'reboot'] as const;

/** `agent_shutdown halt|powerdown|reboot`: a line saying the guest accepted it (PROTOCOL.md §6). JSON: `{mode}`. */
const agentShutdown = defineCommand({
	name: 'agent_shutdown',
	args: [oneOf('shutdown type', shutdownModes)],
	help: 'ask the guest to halt, power down or reboot (va.shutdown)',
	async run(context, [mode]) {
		await about(`agent_shutdown ${mode}`, async () => context.call(rpcs.shutdown, [mode]));
		return {value: {mode}, text: `the guest agent accepted ${mode}`};
	},
});

export default agentShutdown;
