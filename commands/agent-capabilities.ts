import {defineCommand} from '../src/monitor/command.js';
import {escapeLine} from '../src/monitor/escape.js';
import {qgaCapabilities} from '../src/monitor/qga/agent-commands.js';
import {byProtocol} from '../src/monitor/qga/dispatch.js';
import {rpcs} from '../src/rpc/catalogue.js';

/**
 * `agent_capabilities`: the guest's methods; also opens the capability gate (PROTOCOL.md §5).
 * JSON: `{methods}` (qemu-ga: its enabled commands, plus `version` and `disabled`).
 */
const agentCapabilities = defineCommand({
	name: 'agent_capabilities',
	args: [],
	help: 'list the RPC methods the guest agent supports (system.listMethods; guest-info on qemu-ga)',
	async run(context) {
		return byProtocol(context, {
			async virtagent() {
				const methods = await context.callUngated(rpcs.listMethods, []);
				context.storeMethods(methods);
				const lines = ['the following RPC methods are supported by the guest agent:', ...methods.map(name => escapeLine(name))];
				return {value: {methods}, text: lines.join('\n')};
			},
			qga: async () => qgaCapabilities(context),
		});
	},
});

export default agentCapabilities;
