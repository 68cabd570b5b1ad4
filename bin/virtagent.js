#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import {main} from '../dist/src/cli.js';

main(process.argv.slice(2)).then(
	code => {
		process.exitCode = code;
	},
	error => {
		console.error(`virtagent: ${error instanceof Error ? error.message : String(error)}`);
		process.exitCode = 1;
	},
);
