import {defineCommand} from '../src/monitor/command.js';
import {escapeUntrusted} from '../src/monitor/escape.js';
import {rpcs} from '../src/rpc/catalogue.js';

/** `agent_viewdmesg`: the guest's kernel log (its colour codes and the like shown escaped). */
const agentViewdmesg = defineCommand({
	name: 'agent_viewdmesg',
	args: [],
	help: "show the guest's kernel log, the last 16 KiB (va.getdmesg)",
	async run(context) {
		const result = await context.call(rpcs.getdmesg, []);
		return {value: result, text: escapeUntrusted(result)};
	},
});

export default agentViewdmesg;
