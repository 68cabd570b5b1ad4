import {defineCommand, oneOf} from '../src/monitor/command.js';
import {about} from '../src/monitor/command-error.js';
import {qgaShutdownCommand} from '../src/monitor/qga/agent-commands.js';
import {byProtocol} from '../src/monitor/qga/dispatch.js';
import {rpcs} from '../src/rpc/catalogue.js';

export const shutdownModes = ['halt', 'powerdown', 'reboot'] as const;

/**
 * `agent_shutdown halt|powerdown|reboot`: a line saying the guest accepted it (PROTOCOL.md §6).
 * JSON: `{mode}` (qemu-ga adds `noReply`: `channel-closed` or `silence`, §9).
 */
const agentShutdown = defineCommand({
	name: 'agent_shutdown',
	args: [oneOf('shutdown type', shutdownModes)],
	help: 'ask the guest to halt, power down or reboot (va.shutdown; guest-shutdown on qemu-ga)',
	async run(context, [mode]) {
		return about(`agent_shutdown ${mode}`, async () =>
			byProtocol(context, {
				async virtagent() {
					await context.call(rpcs.shutdown, [mode]);
					return {value: {mode}, text: `the guest agent accepted ${mode}`};
				},
				qga: async () => qgaShutdownCommand(context, mode, context.timeoutMs),
			}),
		);
	},
});

export default agentShutdown;
