import {defineCommand, optionalRestOfLine, text} from '../src/monitor/command.js';
import {notQemuGa} from '../src/monitor/qga/agent-commands.js';
import {byProtocol} from '../src/monitor/qga/dispatch.js';
import {parseQgaArguments, runQgaCommand} from '../src/monitor/qga/qga-command.js';

/**
 * `qga COMMAND [JSON-ARGUMENTS]`: any qemu-ga command, the rest of the line one JSON object.
 * JSON: QMP-shaped, qemu-ga's own `return` (or `error` with its class), docs/JSON.md.
 */
const qga = defineCommand({
	name: 'qga',
	args: [text('command', {completes: 'guest command'}), optionalRestOfLine('arguments', {label: 'JSON-ARGUMENTS'})],
	help: 'run any qemu-ga command, e.g. qga guest-get-osinfo or qga guest-file-open {"path": "/etc/hostname"}; the rest of the line is one JSON object of arguments; Tab completes the commands guest-info lists as enabled',
	async run(context, [command, json]) {
		const args = parseQgaArguments(json);
		return byProtocol(context, {
			async virtagent() {
				throw notQemuGa('qga');
			},
			qga: async () => runQgaCommand(context, command, args),
		});
	},
});

export default qga;
