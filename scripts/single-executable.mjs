// A Node 20 single executable application from a config for `node --experimental-sea-config`:
// the blob made, then injected by postject into a copy of the Node that runs this script, its
// symbol tables stripped. Used by build-guest.mjs (the guest daemon) and qemu/floor-exe.mjs.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
// The fuse of Node's single-executable support (the same string in every Node 20 binary).
const fuse = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Writes `output` from `sea` (its `output` is the blob's path; the config is written beside it). `log` gets notes. */
export function makeSingleExecutable(sea, output, log) {
	const seaConfig = path.join(path.dirname(sea.output), 'sea-config.json');
	fs.writeFileSync(seaConfig, JSON.stringify(sea, null, '\t'));
	runQuietly(process.execPath, ['--experimental-sea-config', seaConfig]);

	// A copy of the Node that runs this build; symbol tables out (this Node ships them: ~12 MB).
	const tmp = `${output}.tmp`;
	fs.rmSync(tmp, {force: true});
	fs.copyFileSync(process.execPath, tmp);
	fs.chmodSync(tmp, 0o755);
	try {
		// (strip warns about Node's many note sections; harmless.)
		execFileSync('strip', ['--strip-all', tmp], {stdio: 'ignore'});
	} catch {
		log("strip is not available: the executable keeps Node's symbol tables");
	}

	// Its stderr only on failure: it warns about each of Node's note sections.
	runQuietly(process.execPath, [path.join(repo, 'node_modules/postject/dist/cli.js'), tmp, 'NODE_SEA_BLOB', sea.output, '--sentinel-fuse', fuse]);
	fs.renameSync(tmp, output);
}

function runQuietly(file, args) {
	try {
		execFileSync(file, args, {stdio: 'pipe'});
	} catch (error) {
		process.stderr.write(error.stderr ?? '');
		throw error;
	}
}
