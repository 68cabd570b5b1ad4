import type {Command} from '../src/monitor/command.js';
import {about} from '../src/monitor/command-error.js';

export const shutdownModes = ['halt', 'powerdown', 'reboot'] as const;

/** `agent_shutdown halt|powerdown|reboot`: a line saying the guest accepted it (PROTOCOL.md §6). JSON: `{mode}`. */
const agentShutdown: Command = {
	name: 'agent_shutdown',
	args: [{name: 'shutdown type', choices: shutdownModes}],
	params: shutdownModes.join('|'),
	help: 'ask the guest to halt, power down or reboot (va.shutdown)',
	async run(context, [mode]) {
		await about(`agent_shutdown ${mode!}`, async () => context.call('va.shutdown', [mode!]));
		return {value: {mode: mode!}, text: `the guest agent accepted ${mode!}`};
	},
};

export default agentShutdown;
