import {randomBytes} from 'node:crypto';
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {RpcFaultError} from '../../src/engine/errors.js';
import {decodeResponse, encodeCall} from '../../src/protocol/codec.js';
import type {Frame} from '../../src/protocol/frame.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {tempDir} from '../helpers/socket-pair.js';
import {connectHost, makeHost, startGuest, waitFor, type GuestProcess} from './helpers.js';

/*
 * docs/PROTOCOL.md §4: a server job's answer is decided once; va.shutdown's command runs only if
 * its success answer is the one written to the host. Real daemons with a harmless shutdown
 * command that records each run in a directory.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

type Daemon = {guest: GuestProcess; socketPath: string; dir: string; runs: () => Array<{argv: string[]}>};

function daemon(delaySeconds: string): Daemon {
	const temp = tempDir('va-shutdown-rule-');
	const runsDir = path.join(temp.dir, 'runs');
	mkdirSync(runsDir);
	const recorder = path.join(temp.dir, 'record.mjs');
	writeFileSync(
		recorder,
		`import {writeFileSync} from 'node:fs';\nwriteFileSync(${JSON.stringify(runsDir)} + '/' + process.hrtime.bigint(), JSON.stringify({argv: process.argv.slice(2)}));\n`,
	);
	const socketPath = path.join(temp.dir, 'guest.sock');
	const guest = startGuest([
		'--channel',
		'unix-listen',
		'--path',
		socketPath,
		'--verbose',
		'--shutdown-command',
		`${process.execPath} ${recorder} {mode}`,
		'--shutdown-delay',
		delaySeconds,
	]);
	cleanups.push(temp.remove, async () => {
		expect(await guest.stop()).toBe(0);
	});
	const runs = () =>
		readdirSync(runsDir)
			.sort()
			.map(name => JSON.parse(readFileSync(path.join(runsDir, name), 'utf8')) as {argv: string[]});
	return {guest, socketPath, dir: temp.dir, runs};
}

async function hostFor(socketPath: string) {
	const host = makeHost();
	cleanups.push(() => {
		host.close();
	});
	await connectHost(host, socketPath);
	return host;
}

/** A hand-driven host on a raw socket: it writes frames and collects the response frames. */
async function rawHost(guest: GuestProcess, socketPath: string) {
	await guest.waitForLine(/ info: listening on /u);
	const socket = net.connect(socketPath);
	cleanups.push(() => {
		socket.destroy();
	});
	await new Promise<void>(resolve => socket.once('connect', resolve));
	const responses: Frame[] = [];
	const decoder = new FrameDecoder();
	socket.on('data', chunk => {
		for (const event of decoder.push(chunk)) {
			if (event.type === 'frame' && event.frame.kind === 'response') {
				responses.push(event.frame);
			}
		}
	});
	return {socket, responses};
}

async function faultOf(promise: Promise<unknown>): Promise<RpcFaultError> {
	const error = await promise.then(
		() => undefined,
		(error_: unknown) => error_,
	);
	expect(error).toBeInstanceOf(RpcFaultError);
	return error as RpcFaultError;
}

const sleep = async (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('va.shutdown acts only on its delivered success answer', () => {
	it('runs the command after the success reply is written (the daemon logs the send first), once', async () => {
		const {guest, socketPath, runs} = daemon('0');
		const host = await hostFor(socketPath);
		expect(await host.agent.call('va.shutdown', ['halt'])).toBe('dummy');
		await waitFor(() => runs().length === 1, 5000, 'the halt command');
		expect(runs()).toEqual([{argv: ['halt']}]);
		const sent = guest.lines.findIndex(line => / debug: server #\d+ va\.shutdown sending→done$/u.test(line));
		const scheduled = guest.lines.findIndex(line => / notice: shutdown \(halt\) in 0s: /u.test(line));
		expect(sent).toBeGreaterThanOrEqual(0);
		expect(scheduled).toBeGreaterThan(sent);
	});

	it('refuses another mode while one is under way (-500), answers the same mode without a second run', async () => {
		const {guest, socketPath, runs} = daemon('1');
		const host = await hostFor(socketPath);
		expect(await host.agent.call('va.shutdown', ['halt'])).toBe('dummy');
		const refused = await faultOf(host.agent.call('va.shutdown', ['reboot']));
		expect([refused.code, refused.faultString]).toEqual([-500, 'shutdown already under way (halt)']);
		expect(await host.agent.call('va.shutdown', ['halt'])).toBe('dummy');
		await guest.waitForLine(/ notice: shutdown command exited with code 0$/u);
		await sleep(300);
		expect(runs()).toEqual([{argv: ['halt']}]);
		// Once that command has run (the machine is still up: a harmless command), a new one is taken.
		expect(await host.agent.call('va.shutdown', ['reboot'])).toBe('dummy');
		await waitFor(() => runs().length === 2, 5000, 'the reboot command');
		expect(runs()[1]).toEqual({argv: ['reboot']});
	});

	it('never runs after a fault answer (issue #10 item 4: a deeply nested extra parameter)', async () => {
		const {guest, socketPath, runs} = daemon('0.2');
		const {socket, responses} = await rawHost(guest, socketPath);
		// Written by hand: our own encoder refuses such depth.
		const depth = 3000;
		const nested = `${'<value><array><data>'.repeat(depth)}<value><string>core</string></value>${'</data></array></value>'.repeat(depth)}`;
		const body = `<?xml version="1.0"?><methodCall><methodName>va.shutdown</methodName><params><param><value><string>reboot</string></value></param><param>${nested}</param></params></methodCall>`;
		socket.write(encodeFrame('request', 'deep1', Buffer.from(body)));
		await waitFor(() => responses.some(frame => frame.tag === 'deep1'), 5000, 'the answer to the nested call');
		const answer = decodeResponse(responses.find(frame => frame.tag === 'deep1')!.body);
		expect(answer.ok).toBe(false);
		socket.write(encodeFrame('request', 'bad1', encodeCall('va.shutdown', ['sideways'])));
		socket.write(encodeFrame('request', 'ping1', encodeCall('va.ping', [])));
		await waitFor(() => responses.some(frame => frame.tag === 'ping1'), 5000, 'the daemon still answering');
		await sleep(600); // Three times the delay: a run would show.
		expect(runs()).toEqual([]);
	});

	it('never runs when its answer cannot be delivered (the host stops reading; the channel is closed as stuck)', async () => {
		const {guest, socketPath, dir, runs} = daemon('0');
		const big = path.join(dir, 'big.bin');
		writeFileSync(big, randomBytes(1_400_000));
		const {socket} = await rawHost(guest, socketPath);
		socket.pause(); // Reads nothing: the getfile answer fills the socket, then nothing moves.
		socket.write(encodeFrame('request', 'get1', encodeCall('va.getfile', [big])));
		await guest.waitForLine(/ debug: server #\d+ va\.getfile ready→sending$/u);
		socket.write(encodeFrame('request', 'halt1', encodeCall('va.shutdown', ['halt'])));
		await guest.waitForLine(/ warning: shutdown \(halt\) not started: its success reply was not the one sent$/u, {timeoutMs: 15_000});
		expect(guest.lines.some(line => / send made no progress for 5s/u.test(line))).toBe(true);
		await sleep(300);
		expect(runs()).toEqual([]);
	}, 30_000);
});
