import {packageVersion} from '../version.js';
import {batchedWriter} from './batched-write.js';
import {channelSourceFor} from './channel-source.js';
import {GuestDaemon} from './daemon.js';
import {createGuestLog} from './log.js';
import {guestUsage, parseGuestArgs, UsageError} from './options.js';
import {createPidfile, type Pidfile} from './pidfile.js';
import {stderrSink} from './stderr-sink.js';

/**
 * The daemon writes times in UTC only, but V8 looks up the local time zone at the first Date all
 * the same, and with no TZ and no /etc/localtime symlink (a busybox initramfs, some containers)
 * ICU then reads every file under /usr/share/zoneinfo to find a match: measured in the e2e guest,
 * ~30 s of its start-up, most of it over 9p. A TZ the administrator set is kept. (Commands the
 * daemon runs, e.g. the shutdown command, inherit TZ=UTC then.)
 */
function useUtcUnlessTold(): void {
	process.env['TZ'] ??= 'UTC';
}

/**
 * `virtagent guest [options]`. Resolves with the exit code: 0 after SIGTERM/SIGINT, 2 for a bad
 * command line, 1 when it cannot start (port missing, pidfile taken, address in use).
 */
export async function guestMain(args: readonly string[]): Promise<number> {
	let parsed;
	try {
		parsed = parseGuestArgs(args);
	} catch (error) {
		if (error instanceof UsageError) {
			process.stderr.write(`virtagent guest: ${error.message}\n`);
			return 2;
		}

		throw error;
	}

	if (parsed.kind === 'help') {
		process.stdout.write(`${guestUsage}\n`);
		return 0;
	}

	if (parsed.kind === 'version') {
		process.stdout.write(`virtagent ${packageVersion}\n`);
		return 0;
	}

	const {config} = parsed;
	useUtcUnlessTold();
	// One write per batch of lines (batched-write.ts), not one per RPC.
	const stderr = batchedWriter(stderrSink());
	const log = createGuestLog({verbose: config.verbose, write: stderr.write});
	// Handlers first: a signal during start-up must also end in a clean exit.
	const stopSignal = new Promise<NodeJS.Signals>(resolve => {
		process.once('SIGTERM', resolve);
		process.once('SIGINT', resolve);
	});
	let pidfile: Pidfile | undefined;
	let daemon: GuestDaemon | undefined;
	try {
		pidfile = config.pidfile === undefined ? undefined : createPidfile(config.pidfile);
		daemon = new GuestDaemon({config, log, source: channelSourceFor(config, log)});
		await daemon.start();
	} catch (error) {
		log.log('err', `cannot start: ${(error as Error).message}`);
		await daemon?.close().catch(() => undefined);
		pidfile?.remove();
		return 1;
	}

	// Signal handlers do not keep Node alive, and retry timers are unref'd: this does.
	const keepAlive = setInterval(() => undefined, 1 << 30);
	const signal = await stopSignal;
	clearInterval(keepAlive);
	log.log('info', `${signal}: stopping`);
	await daemon.close();
	pidfile?.remove();
	log.log('info', 'stopped');
	return 0;
}
