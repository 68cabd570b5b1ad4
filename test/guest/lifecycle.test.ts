import {execFileSync} from 'node:child_process';
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {RpcFault} from '../../src/engine/errors.js';
import {decodeCall, decodeResponse, encodeResponse} from '../../src/protocol/codec.js';
import type {Frame} from '../../src/protocol/frame.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {listenEndpoint} from '../../src/transport/endpoint.js';
import {rawHost} from '../helpers/raw-host.js';
import {tempDir} from '../helpers/socket-pair.js';
import {connectHost, makeHost, openFdCount, startGuest, waitFor, type GuestProcess} from './helpers.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

function guestIn(args: readonly string[]): GuestProcess {
	const guest = startGuest(args);
	cleanups.push(async () => guest.stop('SIGKILL'));
	return guest;
}

function tmp(): string {
	const temp = tempDir('va-guest-life-');
	cleanups.push(temp.remove);
	return temp.dir;
}

describe('the guest daemon survives its hosts', () => {
	it('unix-listen: host after host, hello every time, no crash, no leaked descriptors', async () => {
		const dir = tmp();
		const socketPath = path.join(dir, 'guest.sock');
		const guest = guestIn(['--channel', 'unix-listen', '--path', socketPath]);
		let baseline = 0;
		for (let round = 1; round <= 6; round++) {
			const host = makeHost();
			await connectHost(host, socketPath);
			await waitFor(() => host.hellos === 1, 5000, `hello of round ${round}`);
			expect(await host.agent.call('va.ping')).toBe('dummy');
			const downs = guest.lines.filter(line => / info: channel down: /.test(line)).length;
			host.close();
			await waitFor(() => guest.lines.filter(line => / info: channel down: /.test(line)).length === downs + 1, 5000, 'channel down');
			if (round === 2) {
				baseline = openFdCount(guest.child.pid!);
			} else if (round > 2) {
				expect(openFdCount(guest.child.pid!)).toBe(baseline);
			}
		}

		expect(guest.lines.filter(line => / info: va\.hello: the host answered/.test(line))).toHaveLength(6);
		expect(await guest.stop()).toBe(0);
		expect(existsSync(socketPath)).toBe(false);
	});

	it('unix-listen: a second host is turned away while one is connected, and taken when it leaves', async () => {
		const dir = tmp();
		const socketPath = path.join(dir, 'guest.sock');
		const guest = guestIn(['--channel', 'unix-listen', '--path', socketPath]);
		const first = makeHost();
		await connectHost(first, socketPath);
		await waitFor(() => first.hellos === 1);

		// docs/PROTOCOL.md §1: the second host is told why, in an untagged fault, then closed.
		const intruder = net.connect(socketPath);
		const decoder = new FrameDecoder();
		const frames: Frame[] = [];
		intruder.on('data', chunk => {
			frames.push(...decoder.push(chunk).flatMap(event => (event.type === 'frame' ? [event.frame] : [])));
		});
		await new Promise(resolve => intruder.once('close', resolve));
		await guest.waitForLine(/ warning: refused a second host/);
		expect(frames.map(frame => [frame.kind, frame.tag])).toEqual([['response', 'none']]); // The tag a writer sends for none.
		expect(decodeResponse(frames[0]!.body)).toEqual({ok: false, fault: {code: -500, message: 'another host is connected'}});
		expect(await first.agent.call('va.ping')).toBe('dummy');

		first.close();
		const second = makeHost();
		await waitFor(() => guest.lines.some(line => / info: channel down: /.test(line)));
		await connectHost(second, socketPath);
		await waitFor(() => second.hellos === 1, 5000, 'hello to the next host');
		second.close();
	});

	it('unix-listen: a burst of second hosts is turned away promptly, at most 16 of them with the reason (bounded)', async () => {
		const dir = tmp();
		const socketPath = path.join(dir, 'guest.sock');
		guestIn(['--channel', 'unix-listen', '--path', socketPath]);
		const first = makeHost();
		cleanups.push(() => first.close());
		await connectHost(first, socketPath);
		await waitFor(() => first.hellos === 1);
		const started = Date.now();
		const told = await Promise.all(
			Array.from({length: 40}, async () => {
				const intruder = net.connect(socketPath);
				let bytes = 0;
				intruder.on('data', chunk => (bytes += chunk.length));
				intruder.on('error', () => undefined);
				await new Promise(resolve => intruder.once('close', resolve));
				return bytes > 0;
			}),
		);
		expect(Date.now() - started).toBeLessThan(5000);
		const explained = told.filter(Boolean).length;
		expect(explained).toBeGreaterThan(0);
		expect(explained).toBeLessThanOrEqual(16);
		expect(await first.agent.call('va.ping')).toBe('dummy');
	});

	it('unix-connect: waits for a host that is not there yet, and reconnects after losing it', async () => {
		const dir = tmp();
		const socketPath = path.join(dir, 'host.sock');
		const guest = guestIn(['--channel', 'unix-connect', '--path', socketPath]);
		await guest.waitForLine(/ info: cannot connect to unix:.*; retrying/);

		const host = makeHost();
		const listener = await listenEndpoint({kind: 'unix', path: socketPath}, channel => {
			host.agent.attach(channel);
		});
		cleanups.push(async () => listener.close());
		cleanups.push(() => {
			host.close(); // before the listener: its close waits for the connection to end
		});
		await waitFor(() => host.hellos === 1, 5000, 'first hello');
		host.agent.detach('the host drops the guest');
		await waitFor(() => host.hellos === 2, 5000, 'hello after the reconnect');
		expect(await host.agent.call('va.ping')).toBe('dummy');
		expect(guest.child.exitCode).toBeNull();
	});

	it('retries va.hello a bounded number of times when the host does not serve it yet', async () => {
		const dir = tmp();
		const socketPath = path.join(dir, 'guest.sock');
		const guest = guestIn(['--channel', 'unix-listen', '--path', socketPath]);
		const host = makeHost({serveHello: false});
		cleanups.push(() => {
			host.close();
		});
		await connectHost(host, socketPath);
		await guest.waitForLine(/ info: va\.hello failed: fault -506 .*; retrying in 0\.5s/);
		await guest.waitForLine(/ info: va\.hello failed: fault -506 .*; retrying in 1s/);
		expect(await host.agent.call('va.ping')).toBe('dummy');
	});

	it("a framing error while va.hello waits (a monitor's probes queued during boot) retries it at once, not on the schedule", async () => {
		const dir = tmp();
		const socketPath = path.join(dir, 'guest.sock');
		const guest = guestIn(['--channel', 'unix-listen', '--path', socketPath]);
		await guest.waitForLine(/ info: listening on /);
		const host = await rawHost(socketPath);
		cleanups.push(() => {
			host.socket.destroy();
		});
		const hellos = () => host.frames.filter(frame => frame.kind === 'request');
		await waitFor(() => hellos().length === 1, 5000, 'the first va.hello');
		// What an auto-detecting monitor sends (docs/PROTOCOL.md §9): a qemu-ga sync line, then
		// 0xFF and the same line, which the guest's decoder reads as a truncated header.
		const sync = '{"execute":"guest-sync-delimited","arguments":{"id":1}}\n';
		host.socket.write(Buffer.concat([Buffer.from(sync), Buffer.from([0xff]), Buffer.from(sync), Buffer.from([0xff])]));
		await guest.waitForLine(/ info: va\.hello failed: framing error: .*; retrying in 0\.02s$/);
		await waitFor(() => hellos().length === 2, 5000, 'the second va.hello');
		const second = hellos()[1]!;
		expect(decodeCall(second.body).method).toBe('va.hello');
		host.socket.write(encodeFrame('response', second.tag, encodeResponse('dummy')));
		await guest.waitForLine(/ info: va\.hello: the host answered \(attempt 2\)$/);
		expect(guest.lines.some(line => / va\.hello failed: .*retrying in 0\.5s/.test(line))).toBe(false);
		expect(await host.request('after', 'va.ping')).toBe('dummy');
	});

	it('SIGTERM and SIGINT exit 0 and remove the pidfile and the socket', async () => {
		const dir = tmp();
		for (const signal of ['SIGTERM', 'SIGINT'] as const) {
			const socketPath = path.join(dir, `${signal}.sock`);
			const pidfile = path.join(dir, `${signal}.pid`);
			const guest = guestIn(['--channel', 'unix-listen', '--path', socketPath, '--pidfile', pidfile]);
			await guest.waitForLine(/ info: listening on /);
			expect(readFileSync(pidfile, 'utf8')).toBe(`${guest.child.pid}\n`);
			expect(await guest.stop(signal)).toBe(0);
			expect(existsSync(pidfile)).toBe(false);
			expect(existsSync(socketPath)).toBe(false);
		}
	});

	it('virtio-serial: SIGTERM exits 0 at once while the device is open and silent', async () => {
		const dir = tmp();
		// A FIFO opened read-write never returns 0 or EOF: a blocking read on it would wait for
		// good, like one on a port whose host is connected and silent (and a thread blocked so
		// keeps a Node process from exiting).
		const port = path.join(dir, 'port');
		execFileSync('mkfifo', [port]);
		const guest = guestIn(['--channel', 'virtio-serial', '--path', port, '--pidfile', path.join(dir, 'pid')]);
		await guest.waitForLine(/ info: channel up: virtio-serial:/);
		const started = Date.now();
		expect(await guest.stop()).toBe(0);
		expect(Date.now() - started).toBeLessThan(3000);
		expect(existsSync(path.join(dir, 'pid'))).toBe(false);
	});

	it("isa-serial: a path that is not a tty is refused with stty's reason, exit code 1", async () => {
		const dir = tmp();
		const notTty = path.join(dir, 'plain-file');
		writeFileSync(notTty, '');
		const guest = guestIn(['--channel', 'isa-serial', '--path', notTty]);
		expect(await guest.exited).toBe(1);
		expect(guest.lines.join('\n')).toMatch(/ err: cannot start: isa-serial:.*plain-file: stty failed: /);
	});

	it('refuses to start on a pidfile held by a live daemon, and replaces a stale one', async () => {
		const dir = tmp();
		const pidfile = path.join(dir, 'guest.pid');
		const first = guestIn(['--channel', 'unix-listen', '--path', path.join(dir, 'a.sock'), '--pidfile', pidfile]);
		await first.waitForLine(/ info: listening on /);
		const second = guestIn(['--channel', 'unix-listen', '--path', path.join(dir, 'b.sock'), '--pidfile', pidfile]);
		expect(await second.exited).toBe(1);
		expect(second.lines.join('\n')).toMatch(new RegExp(` err: cannot start: pidfile ${pidfile}: another daemon is running \\(pid ${first.child.pid}\\)`));
		expect(await first.stop()).toBe(0);

		writeFileSync(pidfile, '999999999\n'); // no such process
		const third = guestIn(['--channel', 'unix-listen', '--path', path.join(dir, 'c.sock'), '--pidfile', pidfile]);
		await third.waitForLine(/ info: listening on /);
		expect(readFileSync(pidfile, 'utf8')).toBe(`${third.child.pid}\n`);
	});

	it('a fault from the host side never stops the daemon: va.hello answered with a fault', async () => {
		const dir = tmp();
		const socketPath = path.join(dir, 'guest.sock');
		const guest = guestIn(['--channel', 'unix-listen', '--path', socketPath]);
		const host = makeHost({serveHello: false});
		host.agent.registry.register('va.hello', 'broken', () => {
			throw new RpcFault(-500, 'host not ready');
		});
		cleanups.push(() => {
			host.close();
		});
		await connectHost(host, socketPath);
		await guest.waitForLine(/ info: va\.hello failed: fault -500 /);
		expect(await host.agent.call('va.ping')).toBe('dummy');
	});
});
