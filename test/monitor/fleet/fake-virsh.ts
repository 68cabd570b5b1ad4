/**
 * A stand-in for `virsh` (libvirtd cannot run on this machine: see the fleet's closing note) in
 * front of REAL qemu-ga processes: `list --name` lists DIR/domains/NAME.sock, and
 * `qemu-agent-command NAME JSON` sends the JSON line to that socket and prints qemu-ga's
 * reply, as libvirt does. Every call is logged to DIR/calls.log (one JSON array a line).
 */
import {chmodSync, mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs';
import path from 'node:path';

const script = `#!${process.execPath}
const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const dir = process.env.FAKE_VIRSH_DIR || path.dirname(__filename);
let args = process.argv.slice(2);
fs.appendFileSync(path.join(dir, 'calls.log'), JSON.stringify(args) + '\\n');
if (args[0] === '-c') args = args.slice(2);
const domains = path.join(dir, 'domains');
if (args[0] === 'list') {
	for (const file of fs.readdirSync(domains).sort()) console.log(file.replace(/\\.sock$/, ''));
	console.log('');
	process.exit(0);
}
if (args[0] === 'qemu-agent-command') {
	const [, domain, json] = args;
	const socket = path.join(domains, domain + '.sock');
	if (!fs.existsSync(socket)) {
		console.error("error: failed to get domain '" + domain + "'");
		process.exit(1);
	}
	const connection = net.connect(socket);
	let reply = '';
	connection.on('connect', () => connection.write(json + '\\n'));
	connection.on('data', chunk => {
		reply += chunk.toString('latin1');
		const end = reply.indexOf('\\n');
		if (end >= 0) {
			process.stdout.write(Buffer.from(reply.slice(0, end).replace(/^\\xff/, '') + '\\n', 'latin1'));
			process.exit(0);
		}
	});
	connection.on('error', error => {
		console.error('error: Guest agent is not responding: ' + error.message);
		process.exit(1);
	});
	setTimeout(() => {
		console.error('error: Guest agent is not responding: QEMU guest agent is not connected');
		process.exit(1);
	}, 10000);
} else {
	console.error('error: fake virsh: unknown command ' + args[0]);
	process.exit(1);
}
`;

export type FakeVirsh = {
	/** The `virsh` executable (put its directory first on PATH, or pass it as `virsh`). */
	readonly path: string;
	readonly binDir: string;
	/** A running domain whose agent is the qemu-ga on `socketPath`. */
	startDomain(name: string, socketPath: string): void;
	stopDomain(name: string): void;
	calls(): string[][];
};

export function fakeVirsh(dir: string): FakeVirsh {
	const binDir = path.join(dir, 'bin');
	mkdirSync(path.join(dir, 'domains'), {recursive: true});
	mkdirSync(binDir, {recursive: true});
	const file = path.join(binDir, 'virsh');
	writeFileSync(file, script.replace('process.env.FAKE_VIRSH_DIR || path.dirname(__filename)', JSON.stringify(dir)));
	chmodSync(file, 0o755);
	writeFileSync(path.join(dir, 'calls.log'), '');
	return {
		path: file,
		binDir,
		startDomain(name, socketPath) {
			symlinkSync(socketPath, path.join(dir, 'domains', `${name}.sock`));
		},
		stopDomain(name) {
			unlinkSync(path.join(dir, 'domains', `${name}.sock`));
		},
		calls: () =>
			readFileSync(path.join(dir, 'calls.log'), 'utf8')
				.split('\n')
				.filter(line => line !== '')
				.map(line => JSON.parse(line) as string[]),
	};
}
