import {readFileSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {decodeResponse, encodeCall} from '../../src/protocol/codec.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {tempDir} from '../helpers/socket-pair.js';
import {startGuest, waitFor} from './helpers.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

/** Resident and peak resident memory of a process, in MiB (Linux /proc). */
function memoryMiB(pid: number): {rss: number; peak: number} {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'mu').exec(status)![1]);
	return {rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024};
}

describe('a flood against the guest daemon (docs/PROTOCOL.md §4, issue #10 item 7)', () => {
	it('10,000 va.ping in one write: every one answered (result or -500 refusal), memory bounded', async () => {
		const temp = tempDir('va-flood-');
		const socketPath = path.join(temp.dir, 'guest.sock');
		const guest = startGuest(['--channel', 'unix-listen', '--path', socketPath, '--shutdown-command', 'true']);
		cleanups.push(temp.remove, async () => guest.stop());
		await guest.waitForLine(/ info: listening on /u);
		const pid = guest.child.pid!;
		const socket = net.connect(socketPath);
		cleanups.push(() => {
			socket.destroy();
		});
		await new Promise<void>(resolve => socket.once('connect', resolve));
		const answers = new Map<string, string>();
		const decoder = new FrameDecoder();
		socket.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type === 'frame' && event.frame.kind === 'response') {
					const response = decodeResponse(event.frame.body);
					answers.set(event.frame.tag!, response.ok ? String(response.value) : response.fault.message);
				}
			}
		});
		await waitFor(() => guest.lines.some(line => line.includes('channel up')), 5000, 'the channel up');
		const before = memoryMiB(pid);
		const total = 10_000;
		const body = encodeCall('va.ping', []);
		socket.write(Buffer.concat(Array.from({length: total}, (_, n) => encodeFrame('request', `f${n}`, body))));
		await waitFor(() => answers.size === total, 60_000, `${total} answers`);
		const outcomes = [...answers.values()];
		expect(outcomes.filter(outcome => outcome !== 'dummy' && outcome !== 'server job queue limit exceeded')).toEqual([]);
		const after = memoryMiB(pid);
		// The flood is 2 MB of requests; paused reading holds at most 64 refusals of ~300 bytes.
		expect(after.peak - before.rss).toBeLessThan(40);
	}, 90_000);

	it('a host that floods and does not read for a while: the daemon pauses its socket instead of buffering, then answers every request', async () => {
		const temp = tempDir('va-flood-');
		const socketPath = path.join(temp.dir, 'guest.sock');
		const guest = startGuest(['--channel', 'unix-listen', '--path', socketPath, '--shutdown-command', 'true']);
		cleanups.push(temp.remove, async () => guest.stop());
		await guest.waitForLine(/ info: listening on /u);
		const socket = net.connect(socketPath);
		cleanups.push(() => {
			socket.destroy();
		});
		await new Promise<void>(resolve => socket.once('connect', resolve));
		await waitFor(() => guest.lines.some(line => line.includes('channel up')), 5000, 'the channel up');
		// Not read yet: the daemon's answers fill the kernel's buffers, refusals pile up, and its
		// reading must pause. 6 MB of requests is more than the 4 MiB it may hold while paused.
		socket.pause();
		const total = 30_000;
		const body = encodeCall('va.ping', []);
		socket.write(Buffer.concat(Array.from({length: total}, (_, n) => encodeFrame('request', `g${n}`, body))));
		await new Promise(resolve => setTimeout(resolve, 1500));
		const answers = new Set<string>();
		const decoder = new FrameDecoder();
		socket.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type === 'frame' && event.frame.kind === 'response') {
					answers.add(event.frame.tag!);
				}
			}
		});
		socket.resume();
		await waitFor(() => answers.size === total, 60_000, `${total} answers`);
		expect(guest.lines.filter(line => /overrun|channel down/u.test(line))).toEqual([]);
	}, 90_000);
});
