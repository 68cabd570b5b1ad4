import {defineCommand} from '../src/monitor/command.js';
import {escapeLine} from '../src/monitor/escape.js';
import {rpcs} from '../src/rpc/catalogue.js';

/** `agent_capabilities`: the guest's methods; also opens the capability gate (PROTOCOL.md §5). JSON: `{methods}`. */
const agentCapabilities = defineCommand({
	name: 'agent_capabilities',
	args: [],
	help: 'list the RPC methods the guest agent supports (system.listMethods)',
	async run(context) {
		const methods = await context.callUngated(rpcs.listMethods, []);
		context.storeMethods(methods);
		const lines = ['the following RPC methods are supported by the guest agent:', ...methods.map(name => escapeLine(name))];
		return {value: {methods}, text: lines.join('\n')};
	},
});

export default agentCapabilities;
