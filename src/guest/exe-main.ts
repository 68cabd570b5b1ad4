/**
 * The entry of the guest executable (`npm run build:guest` -> dist/virtagent-guest): the guest
 * daemon alone, bundled into one CommonJS script and embedded in a copy of Node (a single
 * executable application). `virtagent-guest [options]` is `virtagent guest [options]`.
 *
 * Nothing may be looked up on disk at run time (there is no node_modules and no script beside
 * the executable): the port pump is this same executable, re-run with --port-pump.
 */
import {usePumpCommand} from '../transport/fd-channel.js';
import {runPortPump} from '../transport/port-pump.js';
import {guestMain} from './cli.js';

/** Not an option of the daemon: how the daemon starts its own pump child. */
const pumpFlag = '--port-pump';
const args = process.argv.slice(2);

if (args[0] === pumpFlag) {
	runPortPump();
} else {
	usePumpCommand(process.execPath, [pumpFlag]);
	guestMain(args).then(
		code => {
			process.exitCode = code;
		},
		(error: unknown) => {
			process.stderr.write(`virtagent-guest: ${error instanceof Error ? error.message : String(error)}\n`);
			process.exitCode = 1;
		},
	);
}
