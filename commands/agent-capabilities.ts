import {VirtagentError} from '../src/engine/errors.js';
import type {Command} from '../src/monitor/command.js';
import {escapeLine} from '../src/monitor/escape.js';

/** `agent_capabilities`: the guest's methods; also opens the capability gate (PROTOCOL.md §5). JSON: `{methods}`. */
const agentCapabilities: Command = {
	name: 'agent_capabilities',
	args: [],
	params: '',
	help: 'list the RPC methods the guest agent supports (system.listMethods)',
	async run(context) {
		const result = await context.callUngated('system.listMethods');
		if (!Array.isArray(result) || !result.every(name => typeof name === 'string')) {
			throw new VirtagentError('EPROTO', 'system.listMethods returned something other than a list of names');
		}

		const methods = result as string[];
		context.storeMethods(methods);
		const lines = ['the following RPC methods are supported by the guest agent:', ...methods.map(name => escapeLine(name))];
		return {value: {methods}, text: lines.join('\n')};
	},
};

export default agentCapabilities;
