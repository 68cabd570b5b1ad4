import {defineCommand, optionalOneOf, text} from '../src/monitor/command.js';
import {virtagentSource} from '../src/monitor/getfile/chunk-source.js';
import {copyGuestFile} from '../src/monitor/getfile/copy-file.js';
import {describeCopy, describeProgress} from '../src/monitor/getfile/describe.js';
import {rpcs} from '../src/rpc/catalogue.js';

/** va.readfile's largest count (docs/PROTOCOL.md §8). */
const chunkSize = 1024 * 1024;
/** One read answered while the next waits queued: the guest never waits for a round trip. */
const depth = 2;

/** `agent_getfile GUESTPATH LOCALPATH [-f]`: a guest file of any size to a local file. */
const agentGetfile = defineCommand({
	name: 'agent_getfile',
	args: [text('guestpath'), text('localpath'), optionalOneOf('force', ['-f'])],
	help: 'copy a guest file of any size to a local file; -f replaces an existing one (va.readfile)',
	async run(context, [guestPath, localPath, force]) {
		const source = virtagentSource(async (offset, count) => context.call(rpcs.readfile, [guestPath, offset, count]), depth);
		let result;
		try {
			result = await copyGuestFile({
				source,
				target: localPath,
				force: force === '-f',
				chunkSize,
				onProgress: progress => context.progress?.(describeProgress(progress)),
			});
		} finally {
			context.progress?.('');
		}

		return {value: {path: result.path, bytes: result.bytes, sha256: result.sha256, seconds: result.seconds}, text: describeCopy(result, 'virtagent')};
	},
});

export default agentGetfile;
