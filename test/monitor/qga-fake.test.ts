/**
 * The monitor on qemu-ga where the real one must not be used on this machine: guest-shutdown and
 * guest-exec go to the fake qemu-ga, which records what it was asked. Also the file handles a
 * dropped connection leaves open, and a hostile qga peer (stale replies, garbage, 0xFF, foreign
 * ids, a reply split across writes).
 */
import {createHash, randomBytes} from 'node:crypto';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {allCommands} from '../../commands/index.js';
import type {Session} from '../../src/monitor/session.js';
import {openSession, type SessionOptions} from '../../src/monitor/open-session.js';
import {startFakeQemuGa, type FakeQemuGa} from '../helpers/fake-qemu-ga.js';
import {tempDir, waitFor} from '../helpers/socket-pair.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

async function setup(options: Partial<SessionOptions> = {}): Promise<{fake: FakeQemuGa; monitor: Session; dir: string}> {
	const {dir, remove} = tempDir('va-qga-fake-');
	cleanups.push(remove);
	const fake = await startFakeQemuGa(path.join(dir, 'qga.sock'));
	cleanups.push(async () => fake.close());
	const monitor = await openSession({
		commands: allCommands,
		target: {mode: 'connect', endpoint: {kind: 'unix', path: fake.path}},
		timeoutMs: 1000,
		waitForGuest: true,
		retryMinMs: 20,
		retryMaxMs: 100,
		protocol: 'auto',
		...options,
	});
	cleanups.push(async () => monitor.close());
	await monitor.waitForGuest(3000);
	return {fake, monitor, dir};
}

describe('the monitor on the fake qemu-ga', () => {
	it('agent_shutdown MODE → guest-shutdown: silence is success, and so is the channel closing; each says which', async () => {
		const {fake, monitor} = await setup();
		const silent = await monitor.execute('agent_shutdown powerdown');
		expect(silent).toMatchObject({ok: true, value: {mode: 'powerdown', noReply: 'silence'}});
		expect(silent.text).toBe('the guest agent accepted powerdown: qemu-ga sent no reply within 1.0s (on success it sends none)');
		expect(fake.requests.filter(request => request.execute === 'guest-shutdown').map(request => request.arguments)).toEqual([{mode: 'powerdown'}]);
		// The next request starts with a sync (what guest-shutdown did next is unknown).
		const before = fake.requests.length;
		expect(await monitor.execute('agent_ping')).toMatchObject({ok: true});
		expect(fake.requests.slice(before).map(request => request.execute)).toEqual(['guest-sync-delimited', 'guest-ping']);

		fake.override('guest-shutdown', (_request, connection) => {
			connection.close();
		});
		const closed = await monitor.execute('agent_shutdown reboot');
		expect(closed).toMatchObject({ok: true, value: {mode: 'reboot', noReply: 'channel-closed'}});
		expect(closed.text).toBe('the guest agent accepted reboot: qemu-ga sent no reply and the channel closed');
	});

	it('agent_viewdmesg runs dmesg through guest-exec with its output captured; a qemu-ga that disables guest-exec is named', async () => {
		const {fake, monitor} = await setup();
		const dmesg = await monitor.execute('agent_viewdmesg');
		expect(dmesg).toMatchObject({ok: true, text: '[    0.000000] fake dmesg\n'});
		expect(fake.requests.find(request => request.execute === 'guest-exec')?.arguments).toEqual({path: 'dmesg', 'capture-output': true});

		fake.enabled.delete('guest-exec');
		expect(await monitor.execute('agent_capabilities')).toMatchObject({ok: true});
		const execs = fake.requests.filter(request => request.execute === 'guest-exec').length;
		expect((await monitor.execute('agent_viewdmesg')).text).toBe(
			'error: VirtagentFailed (ENOSYS): agent_viewdmesg needs guest-exec, which is disabled in this qemu-ga',
		);
		expect(fake.requests.filter(request => request.execute === 'guest-exec')).toHaveLength(execs);
	});

	it('agent_viewfile always closes its handle, also when a read fails', async () => {
		const {fake, monitor} = await setup();
		fake.files.set('/guest/a.txt', {data: Buffer.from('abc\n')});
		expect(await monitor.execute('agent_viewfile /guest/a.txt')).toMatchObject({ok: true, text: 'abc\n'});
		expect(fake.openHandles.size).toBe(0);
		fake.override('guest-file-read', (request, connection) => {
			connection.error(request, 'GenericError', 'failed to read file: Input/output error');
		});
		const failed = await monitor.execute('agent_viewfile /guest/a.txt');
		expect(failed.text).toBe('error: RPCFailed (fault -500): agent_viewfile /guest/a.txt: failed to read file: Input/output error');
		expect(fake.requests.at(-1)?.execute).toBe('guest-file-close');
		expect(fake.openHandles.size).toBe(0);
	});

	it('agent_getfile: pipelined guest-file-read chunks, the size from guest-file-seek for the progress bar', async () => {
		const {fake, monitor, dir} = await setup();
		const data = randomBytes(6 * 1024 * 1024 + 17);
		fake.files.set('/guest/big.bin', {data});
		const progress: string[] = [];
		monitor.subscribe(event => {
			if (event.type === 'progress') {
				progress.push(event.text);
			}
		});
		const target = path.join(dir, 'big.bin');
		const copy = await monitor.execute(`timeout 30 agent_getfile /guest/big.bin ${target}`);
		expect(copy.ok, copy.text).toBe(true);
		expect(createHash('sha256').update(readFileSync(target)).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
		expect(progress.at(-1)).toBe('');
		expect(progress.at(-2)).toMatch(/^agent_getfile \[#{20}\] 100% 6\.0 MiB of 6\.0 MiB, /u);
		const reads = fake.requests.filter(request => request.execute === 'guest-file-read');
		expect(reads.length).toBeGreaterThanOrEqual(7);
		expect(reads.every(request => request.arguments?.['count'] === 1024 * 1024)).toBe(true);
		// Several reads were on the wire at once: the fake received a read before it answered the one before.
		const seeks = fake.requests.filter(request => request.execute === 'guest-file-seek').map(request => request.arguments?.['whence']);
		expect(seeks).toEqual(['end', 'set']);
		expect(fake.openHandles.size).toBe(0);
	});

	it('a handle left open by a dropped connection is closed on the next one (qemu-ga handles outlive connections)', async () => {
		const {fake, monitor, dir} = await setup();
		fake.files.set('/guest/big.bin', {data: randomBytes(4 * 1024 * 1024)});
		let reads = 0;
		fake.override('guest-file-read', (_request, connection) => {
			reads++;
			if (reads === 2) {
				connection.close(); // mid-copy: the close cannot be delivered on this connection
				return true;
			}

			return false;
		});
		const copy = await monitor.execute(`agent_getfile /guest/big.bin ${path.join(dir, 'cut.bin')}`);
		expect(copy.ok).toBe(false);
		const opened = fake.requests.findIndex(request => request.execute === 'guest-file-open');
		await waitFor(() => fake.openHandles.size === 0, 5000, 'the leftover handle to be closed');
		const closes = fake.requests.filter(request => request.execute === 'guest-file-close');
		expect(closes).toHaveLength(1);
		expect(closes[0]?.arguments).toEqual({handle: 1000});
		expect(fake.requests.indexOf(closes[0]!)).toBeGreaterThan(fake.requests.findIndex((request, index) => index > opened && request.execute === 'guest-info'));
		expect(fake.connections).toBe(2);
	});

	it('a hostile qga peer: stale replies, garbage, 0xFF, foreign ids and a reply split across writes never answer the wrong request', async () => {
		const {fake, monitor} = await setup();
		let pings = 0;
		fake.override('guest-ping', (request, connection) => {
			pings++;
			connection.write('not json at all\n');
			connection.write('{"return": {"stale": true}, "id": "q1"}\n'); // a key this end used long ago
			connection.write(`{"return": {"foreign": true}, "id": ${JSON.stringify({x: pings})}}\n`);
			connection.write('{"return": {"no id": true}}\n');
			connection.write(Buffer.of(0xff));
			const reply = Buffer.from(`${JSON.stringify({return: {}, id: request.id})}\n`);
			connection.write(reply.subarray(0, 5));
			setTimeout(() => {
				connection.write(reply.subarray(5));
			}, 30);
			return true;
		});
		for (let index = 0; index < 3; index++) {
			const ping = await monitor.execute('agent_ping');
			expect(ping, ping.text).toMatchObject({ok: true, value: {}});
		}

		const osinfo = await monitor.execute('qga guest-get-time');
		expect(osinfo.ok, osinfo.text).toBe(true);
		// Still one connection: nothing hostile there is worth dropping the stream for.
		expect(fake.connections).toBe(1);
	});
});
