import {defineCommand} from '../src/monitor/command.js';
import {qgaViewdmesg} from '../src/monitor/qga/agent-commands.js';
import {byProtocol} from '../src/monitor/qga/dispatch.js';
import {showDmesg} from '../src/monitor/show-file.js';
import {rpcs} from '../src/rpc/catalogue.js';

/** `agent_viewdmesg`: the guest's kernel log (its colour codes and the like shown escaped). JSON: `{size, text}`. */
const agentViewdmesg = defineCommand({
	name: 'agent_viewdmesg',
	args: [],
	help: "show the guest's kernel log, the last 16 KiB (va.getdmesg; guest-exec of dmesg on qemu-ga)",
	async run(context) {
		return byProtocol(context, {
			async virtagent() {
				const result = await context.call(rpcs.getdmesg, []);
				const value = {size: Buffer.byteLength(result), text: result};
				return {value, text: result === '' ? '(the kernel log is empty)' : showDmesg(result)};
			},
			qga: async () => qgaViewdmesg(context, context.timeoutMs),
		});
	},
});

export default agentViewdmesg;
