#!/usr/bin/env node
// The floor of boot-to-hello for any Node program: a single executable of the same Node as
// dist/virtagent-guest whose whole script opens the port and writes the daemon's first va.hello
// (the bytes the real daemon writes, captured from it at build time), then idles. What it takes
// from launch to that hello is Node's own start-up and its pre-execution of a script, with none
// of ours. Compare the two cold, in the same kind of guest (docs/guest.md "The floor"):
//   node scripts/qemu/floor-exe.mjs                               writes dist/floor-exe/floor-exe
//   VA_GUEST_EXE=dist/floor-exe/floor-exe node scripts/qemu/cold-warm.mjs daemon
//   node scripts/qemu/cold-warm.mjs daemon
// Needs `npm run build`. Diagnostic only: never installed anywhere.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {makeSingleExecutable} from '../single-executable.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const work = path.join(repo, 'dist/floor-exe');
fs.rmSync(work, {recursive: true, force: true});
fs.mkdirSync(work, {recursive: true});

/** The first bytes the daemon writes to a host that listens: its va.hello frame. */
async function daemonHello() {
	const sock = path.join(work, 'capture.sock');
	const server = net.createServer();
	await new Promise(resolve => server.listen(sock, resolve));
	const daemon = spawn(
		process.execPath,
		[path.join(repo, 'bin/virtagent.js'), 'guest', '--channel', 'unix-connect', '--path', sock, '--shutdown-command', 'true'],
		{
			stdio: 'ignore',
		},
	);
	try {
		return await new Promise((resolve, reject) => {
			daemon.once('exit', code => reject(new Error(`the daemon exited (${code}) before its hello`)));
			server.once('connection', socket => socket.once('data', resolve));
		});
	} finally {
		daemon.kill();
		server.close();
	}
}

const hello = await daemonHello();
const script = path.join(work, 'floor.cjs');
fs.writeFileSync(
	script,
	`const fs = require('node:fs');
const fd = fs.openSync('/dev/virtio-ports/org.qemu.virtagent', 'r+');
fs.writeSync(fd, Buffer.from('${hello.toString('base64')}', 'base64'));
setInterval(() => {}, 1 << 30);
`,
);
const output = path.join(work, 'floor-exe');
makeSingleExecutable({main: script, output: path.join(work, 'floor.blob'), disableExperimentalSEAWarning: true, useCodeCache: true}, output, message =>
	process.stderr.write(`floor-exe: ${message}\n`),
);
process.stderr.write(`floor-exe: ${path.relative(repo, output)} (${fs.statSync(output).size} bytes) writes a ${hello.length}-byte va.hello\n`);
