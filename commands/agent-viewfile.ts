import {defineCommand, text} from '../src/monitor/command.js';
import {about} from '../src/monitor/command-error.js';
import {utf8OrUndefined} from '../src/monitor/escape.js';
import {qgaViewfile} from '../src/monitor/qga/agent-commands.js';
import {byProtocol} from '../src/monitor/qga/dispatch.js';
import {showFile} from '../src/monitor/show-file.js';
import {rpcs} from '../src/rpc/catalogue.js';

/**
 * `agent_viewfile PATH`: a guest file's contents; binary content as a bounded hexdump.
 * JSON (docs/JSON.md): `{path, size, base64}` always, plus `text` when the bytes are UTF-8.
 */
const agentViewfile = defineCommand({
	name: 'agent_viewfile',
	args: [text('filepath')],
	help: 'show the contents of a file in the guest (va.getfile; guest-file-open/read/close on qemu-ga)',
	async run(context, [filepath]) {
		const saveHint = context.commands.some(command => command.name === 'agent_getfile')
			? 'save it with agent_getfile GUESTPATH LOCALPATH'
			: '--json gives all of it as base64';
		return about(`agent_viewfile ${filepath}`, async () =>
			byProtocol(context, {
				async virtagent() {
					const result = await context.call(rpcs.getfile, [filepath]);
					const text = utf8OrUndefined(result);
					const value = {path: filepath, size: result.length, base64: result.toString('base64'), ...(text === undefined ? {} : {text})};
					return {value, text: showFile(result, saveHint)};
				},
				qga: async () => qgaViewfile(context, filepath, saveHint),
			}),
		);
	},
});

export default agentViewfile;
