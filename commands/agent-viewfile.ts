import {defineCommand, text} from '../src/monitor/command.js';
import {about} from '../src/monitor/command-error.js';
import {utf8OrUndefined} from '../src/monitor/escape.js';
import {showFile} from '../src/monitor/show-file.js';
import {rpcs} from '../src/rpc/catalogue.js';

/**
 * `agent_viewfile PATH`: a guest file's contents; binary content as a bounded hexdump.
 * JSON (docs/JSON.md): `{path, size, base64}` always, plus `text` when the bytes are UTF-8.
 */
const agentViewfile = defineCommand({
	name: 'agent_viewfile',
	args: [text('filepath')],
	help: 'show the contents of a file in the guest (va.getfile)',
	async run(context, [filepath]) {
		const result = await about(`agent_viewfile ${filepath}`, async () => context.call(rpcs.getfile, [filepath]));
		const text = utf8OrUndefined(result);
		const value = {path: filepath, size: result.length, base64: result.toString('base64'), ...(text === undefined ? {} : {text})};
		const saveHint = context.commands.some(command => command.name === 'agent_getfile')
			? 'save it with agent_getfile GUESTPATH LOCALPATH'
			: '--json gives all of it as base64';
		return {value, text: showFile(result, saveHint)};
	},
});

export default agentViewfile;
