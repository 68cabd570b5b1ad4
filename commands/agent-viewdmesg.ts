import {VirtagentError} from '../src/engine/errors.js';
import type {Command} from '../src/monitor/command.js';
import {showDmesg} from '../src/monitor/show-file.js';

/** `agent_viewdmesg`: the guest's kernel log (its colour codes and the like shown escaped). JSON: `{size, text}`. */
const agentViewdmesg: Command = {
	name: 'agent_viewdmesg',
	args: [],
	params: '',
	help: "show the guest's kernel log, the last 16 KiB (va.getdmesg)",
	async run(context) {
		const result = await context.call('va.getdmesg');
		if (typeof result !== 'string') {
			throw new VirtagentError('EPROTO', 'va.getdmesg returned something other than a string');
		}

		const value = {size: Buffer.byteLength(result), text: result};
		return {value, text: result === '' ? '(the kernel log is empty)' : showDmesg(result)};
	},
};

export default agentViewdmesg;
