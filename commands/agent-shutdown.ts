import type {Command} from '../src/monitor/command.js';

export const shutdownModes = ['halt', 'powerdown', 'reboot'] as const;

/** `agent_shutdown halt|powerdown|reboot`: prints nothing on success (PROTOCOL.md §6). */
const agentShutdown: Command = {
	name: 'agent_shutdown',
	args: [{name: 'shutdown type', choices: shutdownModes}],
	params: shutdownModes.join('|'),
	help: 'ask the guest to halt, power down or reboot (va.shutdown)',
	async run(context, [mode]) {
		await context.call('va.shutdown', [mode!]);
		return {value: {}, text: ''};
	},
};

export default agentShutdown;
