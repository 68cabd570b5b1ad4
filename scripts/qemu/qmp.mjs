#!/usr/bin/env node
// QEMU's monitor protocol (QMP), as a module and as a command.
// Module: const qmp = await qmpConnect(SOCKET); await qmp.execute(COMMAND, ARGS) -> its return
//         value (a QMP error rejects, the reply as `error.reply`); await qmp.waitEvent(NAME, MS);
//         qmp.close(). Used by systemd-e2e.mjs (unplug and hot-plug a port).
// Command: sends one QMP command and prints the answer (JSON). Used to stop QEMU cleanly.
//   node qmp.mjs QMP_SOCKET COMMAND ['{"json":"arguments"}'] [--timeout-ms 5000]
//   e.g. node scripts/qemu/qmp.mjs /tmp/x/console.log.qmp quit
import net from 'node:net';
import {pathToFileURL} from 'node:url';

/** A QMP connection, capabilities negotiated: commands one at a time, events kept for waitEvent. */
export async function qmpConnect(socketPath) {
	const socket = net.connect(socketPath);
	await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
	socket.setEncoding('utf8');
	const events = [];
	let pending;
	let buffer = '';
	socket.on('data', data => {
		buffer += data;
		for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
			const line = buffer.slice(0, nl).trim();
			buffer = buffer.slice(nl + 1);
			if (!line) continue;
			const message = JSON.parse(line);
			if (message.event) events.push(message);
			else if (message.QMP === undefined) pending?.answer(message);
		}
	});
	const ended = error => pending?.fail(Object.assign(new Error(error ? `qmp: ${error.message}` : 'qmp: QEMU closed the connection'), {closed: true}));
	socket.on('error', ended);
	socket.on('close', () => ended());
	const execute = (command, args) =>
		new Promise((resolve, reject) => {
			pending = {
				answer(message) {
					pending = undefined;
					if (message.error) reject(Object.assign(new Error(`QMP ${command}: ${message.error.desc}`), {reply: message}));
					else resolve(message.return);
				},
				fail(error) {
					pending = undefined;
					reject(error);
				},
			};
			socket.write(`${JSON.stringify(args ? {execute: command, arguments: args} : {execute: command})}\n`);
		});
	await execute('qmp_capabilities');
	const waitEvent = async (name, timeoutMs) => {
		for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise(resolve => setTimeout(resolve, 50))) {
			const index = events.findIndex(event => event.event === name);
			if (index >= 0) return events.splice(index, 1)[0];
		}

		throw new Error(`no QMP event ${name} within ${timeoutMs} ms`);
	};

	return {execute, waitEvent, close: () => socket.destroy()};
}

async function main() {
	const [path, command, argsJson] = process.argv.slice(2).filter(a => !a.startsWith('--'));
	const t = process.argv.indexOf('--timeout-ms');
	const timeoutMs = t >= 0 ? Number(process.argv[t + 1]) : 5000;
	if (!path || !command) {
		console.error('usage: node qmp.mjs QMP_SOCKET COMMAND [JSON_ARGS]');
		process.exit(2);
	}

	setTimeout(() => {
		console.error(`qmp: no answer to ${command} within ${timeoutMs} ms`);
		process.exit(1);
	}, timeoutMs).unref();
	let qmp;
	try {
		qmp = await qmpConnect(path);
		const value = await qmp.execute(command, argsJson ? JSON.parse(argsJson) : undefined);
		console.log(JSON.stringify({return: value}));
		process.exit(0);
	} catch (error) {
		// QEMU closing the socket while quitting is success for "quit".
		if (qmp && command === 'quit' && error.closed) {
			console.log('{"return":{}}');
			process.exit(0);
		}

		if (error.reply) console.log(JSON.stringify(error.reply));
		else console.error(error.message.startsWith('qmp:') ? error.message : `qmp: ${error.message}`);
		process.exit(1);
	}
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
