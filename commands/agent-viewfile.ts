import {defineCommand, text} from '../src/monitor/command.js';
import {showBytes, utf8OrUndefined} from '../src/monitor/escape.js';
import {rpcs} from '../src/rpc/catalogue.js';

/** `agent_viewfile PATH`: a guest file's contents; binary content is shown byte by byte. */
const agentViewfile = defineCommand({
	name: 'agent_viewfile',
	args: [text('filepath')],
	help: 'show the contents of a file in the guest (va.getfile)',
	async run(context, [filepath]) {
		const result = await context.call(rpcs.getfile, [filepath]);
		const text = utf8OrUndefined(result);
		// JSON: a string for text; bytes as base64 otherwise, so a script gets them exactly.
		const value = text === undefined ? {bytes: result.length, base64: result.toString('base64')} : text;
		return {value, text: showBytes(result).text};
	},
});

export default agentViewfile;
