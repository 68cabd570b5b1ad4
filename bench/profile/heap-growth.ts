/**
 * `node --expose-gc dist/bench/profile/heap-growth.js [CHECKPOINT] [TOTAL]`: the memory case's
 * workload (the monitor's session pinging the guest daemon, both in this process), with the JS
 * heap measured after a full GC at each checkpoint. Tells a leak (live objects pile up) from
 * resident memory that V8 and malloc simply have not returned.
 */
import {GuestDaemon} from '../../src/guest/daemon.js';
import {channelSourceFor} from '../../src/guest/channel-source.js';
import {createGuestLog} from '../../src/guest/log.js';
import {parseGuestArgs} from '../../src/guest/options.js';
import {allCommands} from '../../commands/index.js';
import {openSession} from '../../src/monitor/open-session.js';
import {scratch} from '../lib/context.js';

const gc = (globalThis as {gc?: () => void}).gc;
if (!gc) {
	console.error('run with node --expose-gc');
	process.exit(2);
}

const checkpoint = Number(process.argv[2] ?? 10_000);
const total = Number(process.argv[3] ?? 100_000);
const work = scratch('heap');
const socketPath = work.file('guest.sock');
const parsed = parseGuestArgs(['--channel', 'unix-listen', '--path', socketPath, '--block-rpcs', 'va.shutdown', '--shutdown-command', 'true']);
if (parsed.kind !== 'run') {
	throw new Error('unexpected guest arguments');
}

let logLines = 0;
const log = createGuestLog({verbose: false, write: () => logLines++});
const daemon = new GuestDaemon({config: parsed.config, log, source: channelSourceFor(parsed.config, log)});
await daemon.start();
const session = await openSession({target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}}, commands: allCommands, waitForGuest: true});

const mebibytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
let done = 0;
for (const target of [checkpoint, total]) {
	while (done < target) {
		const outcome = await session.execute('agent_ping');
		if (!outcome.ok) {
			throw new Error(outcome.text);
		}

		done++;
	}

	gc();
	gc();
	const usage = process.memoryUsage();
	console.log(
		`after ${done} pings: heapUsed ${mebibytes(usage.heapUsed)} MiB, external ${mebibytes(usage.external)} MiB, arrayBuffers ${mebibytes(usage.arrayBuffers)} MiB, rss ${mebibytes(usage.rss)} MiB (guest log lines ${logLines})`,
	);
}

await session.close();
await daemon.close();
work.remove();
