/**
 * `--protocol auto` (docs/PROTOCOL.md §9, the detection rule): on each new stream, before the
 * engine reads it, find out whether a virtagent guest or qemu-ga is on the other end.
 * - At once: guest-sync-delimited, without a leading 0xFF. qemu-ga answers `0xFF{"return": id}`;
 *   a virtagent guest skips the line as garbage (it looks for 0xFF), and says va.hello on a new
 *   stream anyway, which decides it.
 * - If nothing decided, again after 0.25 s, 0.5 s, 1 s… (at most every 5 s) for as long as the
 *   stream lasts (a booting VM): a 0xFF and the sync (a 0xFF resets a qemu-ga parser that an
 *   earlier client left mid-request), then a va.ping frame (answered by a virtagent guest that
 *   had already said hello to someone else). While it lasts, the status line says "detecting".
 * The first answer decides (probe-scanner.ts); the stream is then handed to the engine.
 */
import {encodeRequest} from '../../wire/qga/messages.js';
import {newSyncId} from '../../wire/qga/sync.js';
import {XmlRpcWriter} from '../../wire/xmlrpc/writer.js';
import type {Channel} from '../../transport/channel.js';
import {HandOverChannel} from './hand-over-channel.js';
import {ProbeScanner, type Detection} from './probe-scanner.js';

export type Detected = Detection & {
	/** The stream, to attach to the engine: it reads `replay` first. */
	readonly channel: Channel;
	/** From the first probe to the decision. */
	readonly ms: number;
};

export type DetectOptions = {
	/** Aborting ends the probe (and closes the stream). */
	readonly signal: AbortSignal;
	/** Each probe written: its number (1, 2, …) and when the next one follows. */
	readonly onProbe?: (probes: number, nextInMs: number) => void;
	/** Pauses between probes: the first, doubling up to the second (0.25 s → 5 s). */
	readonly retryMinMs?: number;
	readonly retryMaxMs?: number;
};

/** The probe's words on the wire (also used by the tests that check what a guest receives). */
export function probeBytes(round: number): Buffer {
	const sync = encodeRequest('guest-sync-delimited', {id: newSyncId()}, undefined);
	if (round === 1) {
		return sync;
	}

	const ping = new XmlRpcWriter(64 * 1024).request(`probe-${round}`, 'va.ping', []).bytes;
	return Buffer.concat([Buffer.of(0xff), sync, ping]);
}

/** Resolves with what the guest speaks; rejects when the stream ends (or `signal` aborts) first. */
export async function detectGuestProtocol(channel: Channel, options: DetectOptions): Promise<Detected> {
	const minMs = options.retryMinMs ?? 250;
	const maxMs = options.retryMaxMs ?? 5000;
	const scanner = new ProbeScanner();
	const started = performance.now();
	return new Promise<Detected>((resolve, reject) => {
		let timer: NodeJS.Timeout | undefined;
		let probes = 0;
		const finish = (): void => {
			clearTimeout(timer);
			options.signal.removeEventListener('abort', onAbort);
		};

		const stream: HandOverChannel = new HandOverChannel(
			channel,
			chunk => {
				const found = scanner.push(chunk);
				if (found) {
					finish();
					stream.handOver(found.replay);
					resolve({...found, channel: stream, ms: performance.now() - started});
				}
			},
			error => {
				finish();
				reject(new Error(error?.message ?? 'stream closed'));
			},
		);

		function onAbort(): void {
			finish();
			stream.destroy();
			reject(new Error('protocol probe aborted'));
		}

		function probe(): void {
			probes++;
			// A failed write ends the stream, which is reported through the close above.
			stream.write(probeBytes(probes)).catch(() => undefined);
			const nextInMs = Math.min(maxMs, minMs * 2 ** (probes - 1));
			options.onProbe?.(probes, nextInMs);
			timer = setTimeout(probe, nextInMs);
		}

		if (options.signal.aborted) {
			onAbort();
			return;
		}

		options.signal.addEventListener('abort', onAbort, {once: true});
		probe();
	});
}
