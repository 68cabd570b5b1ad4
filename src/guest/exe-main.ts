/**
 * The entry of the guest executable (`npm run build:guest` -> dist/virtagent-guest): the guest
 * daemon alone, bundled into one CommonJS script and embedded in a copy of Node (a single
 * executable application). `virtagent-guest [options]` is `virtagent guest [options]`.
 * Nothing may be looked up on disk at run time: there is no node_modules and no script beside
 * the executable (scripts/build-guest.mjs checks the bundle for that).
 */
import {guestMain} from './cli.js';

guestMain(process.argv.slice(2)).then(
	code => {
		process.exitCode = code;
	},
	(error: unknown) => {
		process.stderr.write(`virtagent-guest: ${error instanceof Error ? error.message : String(error)}\n`);
		process.exitCode = 1;
	},
);
