#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import {main} from '../dist/src/cli.js';

// React's production build (its development build costs the monitor's screen a third of its
// speed); set before the screen's dynamic import of React, and a caller's choice wins.
process.env.NODE_ENV ??= 'production';

// The monitor's commands are handed in here: src/ never imports commands/ (commands/ imports src/).
const monitorCommands = async () => (await import('../dist/commands/index.js')).allCommands;
const fleetCommands = async () => (await import('../dist/commands/index.js')).fleetCommands;

main(process.argv.slice(2), {monitorCommands, fleetCommands}).then(
	code => {
		process.exitCode = code;
	},
	error => {
		console.error(`virtagent: ${error instanceof Error ? error.message : String(error)}`);
		process.exitCode = 1;
	},
);
