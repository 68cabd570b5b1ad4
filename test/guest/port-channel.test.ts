import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Channel} from '../../src/transport/channel.js';
import {descriptorSource} from '../../src/guest/channel-source.js';
import {GuestDaemon} from '../../src/guest/daemon.js';
import {createGuestLog} from '../../src/guest/log.js';
import {parseGuestArgs, type GuestConfig} from '../../src/guest/options.js';
import {openPortLink} from '../../src/transport/fd-channel.js';
import {tempDir} from '../helpers/socket-pair.js';
import {makeHost, waitFor, type Host} from './helpers.js';

/*
 * The virtio-serial code path without a VM: two FIFOs stand in for the port. A FIFO read
 * returns 0 while nobody has it open for writing, and data again once someone does — the
 * port's "host not connected" behaviour — and the guest's writes block when the host is not
 * reading, as on the port.
 */

const {O_RDONLY, O_RDWR, O_NONBLOCK} = fs.constants;

/** The host's end of the FIFO pair as a Channel (non-blocking descriptors, so net.Socket works). */
function hostChannel(toGuest: string, fromGuest: string): Channel {
	const writer = new net.Socket({fd: fs.openSync(toGuest, O_RDWR | O_NONBLOCK), readable: false, writable: true});
	const reader = new net.Socket({fd: fs.openSync(fromGuest, O_RDONLY | O_NONBLOCK), readable: true, writable: false});
	let closed = false;
	return {
		label: 'fifo-host',
		start(handlers) {
			const close = () => {
				if (!closed) {
					closed = true;
					handlers.close();
				}
			};

			reader.on('data', handlers.data);
			reader.on('close', close);
			writer.on('close', close);
		},
		async write(data) {
			return new Promise((resolve, reject) => {
				writer.write(data, error => (error ? reject(error) : resolve()));
			});
		},
		destroy() {
			writer.destroy();
			reader.destroy();
		},
	};
}

describe('the port channel (polled by the event loop, read 0 → back-off → data) over a FIFO pair', () => {
	const temp = tempDir('va-guest-port-');
	const toGuest = path.join(temp.dir, 'to-guest');
	const fromGuest = path.join(temp.dir, 'from-guest');
	const lines: string[] = [];
	let daemon: GuestDaemon;
	let host: Host;

	beforeAll(async () => {
		execFileSync('mkfifo', [toGuest, fromGuest]);

		host = makeHost();
		// The host first (a writer must exist for the guest's read-only open not to block).
		host.agent.attach(hostChannel(toGuest, fromGuest));
		const parsed = parseGuestArgs(['--channel', 'virtio-serial', '--path', toGuest, '--shutdown-command', 'true']);
		const config = (parsed as {config: GuestConfig}).config;
		const log = createGuestLog({verbose: true, journal: true, write: line => lines.push(line.trimEnd())});
		const source = descriptorSource(
			'fifo-port',
			() => {
				// Non-blocking open: with no writer (the host away) it must not wait; reads then give 0.
				return {readFd: fs.openSync(toGuest, O_RDONLY | O_NONBLOCK), writeFd: fs.openSync(fromGuest, O_RDWR)};
			},
			log,
			20,
		);
		daemon = new GuestDaemon({config, log, source, hello: {retryDelaysMs: [100, 100]}});
		await daemon.start();
	});

	afterAll(async () => {
		host.close();
		await daemon.close();
		temp.remove();
	});

	it('says hello through the port and answers requests', async () => {
		await waitFor(() => host.hellos === 1, 5000, 'hello over the FIFOs');
		expect(await host.agent.call('va.ping')).toBe('dummy');
		const data = Buffer.from(Array.from({length: 256}, (_, i) => i));
		fs.writeFileSync(path.join(temp.dir, 'bytes'), data);
		expect(await host.agent.call('va.getfile', [path.join(temp.dir, 'bytes')])).toEqual(data);
	});

	it('notices the host going away once, keeps reading, and says hello again when it is back', async () => {
		host.agent.detach('host goes away');
		await waitFor(() => lines.some(line => /^<6>fifo-port: the host is not connected; waiting for it$/.test(line)), 5000, 'host gone');
		await waitFor(() => lines.some(line => /^<6>channel down: the host side of the port is not connected$/.test(line)));
		// The session's liveness calls: a debug line each (verbose), and counted at info.
		expect(lines.filter(line => /^<7>rpc "va\.ping"\(\) → "dummy" /.test(line))).toHaveLength(1);
		expect(lines).toContain('<6>rpc calls answered (not logged one by one): va.ping 1');
		// Reads keep failing with 0 while it is away: reported once, not once per read.
		await new Promise(resolve => setTimeout(resolve, 200));
		expect(lines.filter(line => line.includes('the host is not connected'))).toHaveLength(1);

		host.agent.attach(hostChannel(toGuest, fromGuest));
		// The host speaks first (it negotiates on connect); that data is what tells the guest.
		expect(await host.agent.call('va.ping')).toBe('dummy');
		await waitFor(() => host.hellos === 2, 5000, 'hello after the host came back');
		await waitFor(() => lines.filter(line => /^<6>va\.hello: the host answered/.test(line)).length === 2, 5000, 'the guest to log the second hello');
	});

	it('a large reply crosses the port whole', async () => {
		const data = Buffer.alloc(512 * 1024, 0xa5);
		fs.writeFileSync(path.join(temp.dir, 'big'), data);
		const value = await host.agent.call('va.getfile', [path.join(temp.dir, 'big')]);
		// Buffer.equals: a deep toEqual of 512 KiB takes vitest a second.
		expect(Buffer.isBuffer(value) && value.equals(data)).toBe(true);
	});
});

describe("the port link's write queue is bounded", () => {
	it('a host that never reads gets the session dropped once maxQueuedBytes are waiting, not an ever-growing queue', async () => {
		const temp = tempDir('va-guest-port-queue-');
		const toGuest = path.join(temp.dir, 'to-guest');
		const fromGuest = path.join(temp.dir, 'from-guest');
		execFileSync('mkfifo', [toGuest, fromGuest]);
		// The host's ends, opened and never read: the pipe fills (64 KiB), then the link queues.
		const hostWriter = fs.openSync(toGuest, O_RDWR | O_NONBLOCK);
		const hostReader = fs.openSync(fromGuest, O_RDONLY | O_NONBLOCK);
		const sessions: Channel[] = [];
		const closes: Array<Error | undefined> = [];
		const link = openPortLink({
			label: 'fifo-port',
			open: () => ({readFd: fs.openSync(toGuest, O_RDONLY | O_NONBLOCK), writeFd: fs.openSync(fromGuest, O_RDWR)}),
			onSession(channel) {
				sessions.push(channel);
				channel.start({data() {}, close: error => closes.push(error)});
			},
			onError(error) {
				throw error;
			},
			maxQueuedBytes: 256 * 1024,
		});
		try {
			const frame = Buffer.alloc(32 * 1024, 0x41);
			const writes: Array<Promise<unknown>> = [];
			for (let i = 0; i < 20; i++) {
				writes.push(
					sessions[0]!.write(frame).then(
						() => 'written',
						(error: Error) => error.message,
					),
				);
			}

			const outcomes = await Promise.race([Promise.all(writes.slice(-1)), new Promise(resolve => setTimeout(resolve, 2000, ['timeout']))]);
			// 640 KiB offered: the pipe and the queue hold ~320 KiB, the rest is refused.
			expect(outcomes).toEqual(['more than 262144 bytes queued for the port: the host does not read']);
			expect(closes).toHaveLength(1);
			expect(closes[0]?.message).toMatch(/queued for the port/);
		} finally {
			link.close();
			fs.closeSync(hostWriter);
			fs.closeSync(hostReader);
			temp.remove();
		}
	});
});
