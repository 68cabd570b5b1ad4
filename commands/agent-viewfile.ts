import {VirtagentError} from '../src/engine/errors.js';
import type {Command} from '../src/monitor/command.js';
import {showBytes, utf8OrUndefined} from '../src/monitor/escape.js';

/** `agent_viewfile PATH`: a guest file's contents; binary content is shown byte by byte. */
const agentViewfile: Command = {
	name: 'agent_viewfile',
	args: [{name: 'filepath'}],
	params: 'filepath',
	help: 'show the contents of a file in the guest (va.getfile)',
	async run(context, [filepath]) {
		const result = await context.call('va.getfile', [filepath!]);
		if (!Buffer.isBuffer(result)) {
			throw new VirtagentError('EPROTO', `va.getfile returned ${describeType(result)}, expected base64 bytes`);
		}

		const text = utf8OrUndefined(result);
		// JSON: a string for text; bytes as base64 otherwise, so a script gets them exactly.
		const value = text === undefined ? {bytes: result.length, base64: result.toString('base64')} : text;
		return {value, text: showBytes(result).text};
	},
};

function describeType(value: unknown): string {
	return value === null ? 'nil' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

export default agentViewfile;
