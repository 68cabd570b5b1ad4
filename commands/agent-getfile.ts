import {defineCommand, optionalOneOf, text} from '../src/monitor/command.js';
import {virtagentSource} from '../src/monitor/getfile/chunk-source.js';
import {copyGuestFile} from '../src/monitor/getfile/copy-file.js';
import {describeCopy, describeProgress} from '../src/monitor/getfile/describe.js';
import {qgaGetfileSource} from '../src/monitor/qga/agent-commands.js';
import {byProtocol} from '../src/monitor/qga/dispatch.js';
import {rpcs} from '../src/rpc/catalogue.js';

/** va.readfile's largest count (docs/PROTOCOL.md §8); qemu-ga is read in chunks of the same size. */
const chunkSize = 1024 * 1024;
/** One read answered while the next waits queued: the guest never waits for a round trip. */
const depth = 2;
/** qemu-ga queues reads on its channel and answers them in order: a few more hide its slower round trip. */
const qgaDepth = 4;

/** `agent_getfile GUESTPATH LOCALPATH [-f]`: a guest file of any size to a local file. */
const agentGetfile = defineCommand({
	name: 'agent_getfile',
	args: [text('guestpath'), text('localpath'), optionalOneOf('force', ['-f'])],
	help: 'copy a guest file of any size to a local file; -f replaces an existing one (va.readfile; guest-file-read on qemu-ga)',
	async run(context, [guestPath, localPath, force]) {
		let protocol: 'virtagent' | 'qga' = 'virtagent';
		const source = await byProtocol(context, {
			virtagent: async () => virtagentSource(async (offset, count) => context.call(rpcs.readfile, [guestPath, offset, count]), depth),
			async qga() {
				protocol = 'qga';
				return qgaGetfileSource(context, guestPath, qgaDepth);
			},
		});
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

		return {value: {path: result.path, bytes: result.bytes, sha256: result.sha256, seconds: result.seconds}, text: describeCopy(result, protocol)};
	},
});

export default agentGetfile;
