#!/usr/bin/env node
// Sends one QMP command to QEMU and prints the answer (JSON). Used to stop QEMU cleanly.
// Usage: node qmp.mjs QMP_SOCKET COMMAND ['{"json":"arguments"}'] [--timeout-ms 5000]
// e.g.   node scripts/qemu/qmp.mjs /tmp/x/console.log.qmp quit
import net from 'node:net';

const [path, command, argsJson] = process.argv.slice(2).filter(a => !a.startsWith('--'));
const t = process.argv.indexOf('--timeout-ms');
const timeoutMs = t >= 0 ? Number(process.argv[t + 1]) : 5000;
if (!path || !command) {
	console.error('usage: node qmp.mjs QMP_SOCKET COMMAND [JSON_ARGS]');
	process.exit(2);
}
const timer = setTimeout(() => {
	console.error(`qmp: no answer to ${command} within ${timeoutMs} ms`);
	process.exit(1);
}, timeoutMs);
const socket = net.connect(path);
let buffer = '';
let stage = 0; // 0: greeting, 1: capabilities sent, 2: command sent
socket.setEncoding('utf8');
socket.on('error', error => {
	// QEMU closing the socket while quitting is success for "quit".
	if (stage === 2 && command === 'quit') process.exit(0);
	console.error(`qmp: ${error.message}`);
	process.exit(1);
});
socket.on('close', () => {
	if (stage === 2 && command === 'quit') {
		clearTimeout(timer);
		console.log('{"return":{}}');
		process.exit(0);
	}
});
socket.on('data', data => {
	buffer += data;
	let nl;
	while ((nl = buffer.indexOf('\n')) >= 0) {
		const line = buffer.slice(0, nl).trim();
		buffer = buffer.slice(nl + 1);
		if (!line) continue;
		const message = JSON.parse(line);
		if (message.event) continue;
		if (stage === 0 && message.QMP) {
			stage = 1;
			socket.write(JSON.stringify({execute: 'qmp_capabilities'}) + '\n');
		} else if (stage === 1 && 'return' in message) {
			stage = 2;
			const request = {execute: command};
			if (argsJson) request.arguments = JSON.parse(argsJson);
			socket.write(JSON.stringify(request) + '\n');
		} else if (stage === 2) {
			clearTimeout(timer);
			console.log(JSON.stringify(message));
			socket.end();
			process.exit(message.error ? 1 : 0);
		}
	}
});
