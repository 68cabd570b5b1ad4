/**
 * `node guest-farm-main.js DIR COUNT [PREFIX]`: COUNT guests in one process, each the project's
 * own GuestDaemon (the real RPC handlers, engine and hello) listening on its own UNIX socket
 * in libvirt's layout: DIR/domain-N-PREFIXN/org.qemu.virtagent. A host with many VMs, without
 * a process per VM: the fleet's tests and bench use it. va.shutdown runs `true`, and is blocked.
 * Prints `ready` once every socket listens; SIGTERM stops them all.
 */
import {mkdirSync} from 'node:fs';
import path from 'node:path';
import {channelSourceFor} from '../../src/guest/channel-source.js';
import {GuestDaemon} from '../../src/guest/daemon.js';
import {createGuestLog} from '../../src/guest/log.js';
import {parseGuestArgs} from '../../src/guest/options.js';

const [dir, countText, prefix = 'vm'] = process.argv.slice(2);
const count = Number(countText);
if (dir === undefined || !Number.isInteger(count) || count < 1) {
	console.error('usage: guest-farm-main DIR COUNT [PREFIX]');
	process.exit(2);
}

// No log: a farm of a thousand guests must not spend its time logging (start-up errors still throw).
const log = createGuestLog({verbose: false, write: () => undefined});
const daemons: GuestDaemon[] = [];
for (let index = 1; index <= count; index++) {
	const directory = path.join(dir, `domain-${index}-${prefix}${index}`);
	mkdirSync(directory, {recursive: true});
	const parsed = parseGuestArgs([
		'--channel',
		'unix-listen',
		'--path',
		path.join(directory, 'org.qemu.virtagent'),
		'--block-rpcs',
		'va.shutdown',
		'--shutdown-command',
		'true',
	]);
	if (parsed.kind !== 'run') {
		process.exit(2);
	}

	const daemon = new GuestDaemon({config: parsed.config, log, source: channelSourceFor(parsed.config, log)});
	await daemon.start();
	daemons.push(daemon);
}

console.log('ready');
const keepAlive = setInterval(() => undefined, 1 << 30);
process.once('SIGTERM', () => {
	clearInterval(keepAlive);
	void Promise.all(daemons.map(async daemon => daemon.close())).then(() => process.exit(0));
});
