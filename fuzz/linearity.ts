/*
 * Linear-time decoding, measured as ratios in one run (never a timed assertion): for every
 * XML-RPC scalar type, the time to decode a value of N characters and of 2N, at both ends —
 * the guest decoding a request, the monitor decoding a response — over the real programs, and
 * the decode functions in-process as a second tier. Input ×2 must cost at most ×3.
 */
import {pathToFileURL} from 'node:url';
import path from 'node:path';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {startGuestDaemon} from './guest-target.js';
import {listenAsGuest, startMonitor} from './monitor-target.js';
import {Peer} from './peer.js';
import {repoRoot, sleep} from './program.js';
import {scalarFillers} from './values.js';
import {callXml, frame, responseXml} from './wire.js';

export type Ratio = {
	readonly end: 'guest' | 'monitor' | 'decodeCall' | 'decodeResponse';
	readonly type: string;
	readonly small: number;
	readonly large: number;
	/** large / small; Infinity when the large input did not finish within the cap. */
	readonly ratio: number;
};

export const maxRatio = 3;
const repetitions = 5;
/**
 * Timings below these are noise (scheduling on a shared machine, a timer's grain) and are
 * counted as this much: a ratio of two sub-millisecond figures says nothing.
 */
// Over the real programs a round trip carries scheduling noise of tens of ms on a loaded
// machine: that tier is there to catch blocking (seconds); the in-process tier catches slopes.
const programFloorMs = 20;
const inProcessFloorMs = 1;
/** In-process, one measurement repeats the decode for at least this long and takes the mean. */
const inProcessSpanMs = 50;

/** The fastest of a few timings (ms) of `once`; undefined if one of them passed the cap. */
async function fastest(once: () => Promise<number | undefined>): Promise<number | undefined> {
	let best = Number.POSITIVE_INFINITY;
	for (let i = 0; i < repetitions; i++) {
		const ms = await once();
		if (ms === undefined) {
			return undefined;
		}

		best = Math.min(best, ms);
	}

	return best;
}

function ratioOf(end: Ratio['end'], type: string, small: number | undefined, large: number | undefined, floorMs: number): Ratio {
	const ratio = small === undefined || large === undefined ? Number.POSITIVE_INFINITY : Math.max(large, floorMs) / Math.max(small, floorMs);
	return {end, type, small: small ?? Number.POSITIVE_INFINITY, large: large ?? Number.POSITIVE_INFINITY, ratio};
}

/**
 * N and 2N, each the fastest of a few runs. A ratio over the bound is measured again (up to
 * three times) and the best kept: a load spike on a shared machine passes, a real slope repeats.
 */
async function measure(end: Ratio['end'], type: string, floorMs: number, once: (scale: 1 | 2) => Promise<number | undefined>): Promise<Ratio> {
	let best: Ratio | undefined;
	for (let attempt = 0; attempt < 3 && (best === undefined || (best.ratio > maxRatio && Number.isFinite(best.ratio))); attempt++) {
		const small = await fastest(async () => once(1));
		const large = small === undefined ? undefined : await fastest(async () => once(2));
		const ratio = ratioOf(end, type, small, large, floorMs);
		best = best === undefined || ratio.ratio < best.ratio ? ratio : best;
	}

	return best!;
}

/** The guest decoding a va.ping request carrying one value of each type. */
export async function guestRatios(size: number, capMs: number, log: (line: string) => void): Promise<Ratio[]> {
	const ratios: Ratio[] = [];
	let guest = await startGuestDaemon();
	let peer = await Peer.connect(guest.socketPath);
	let counter = 0;
	const timeOnce = async (xml: string): Promise<number | undefined> => {
		const tag = `lin${++counter}`;
		const bytes = frame('request', tag, callXml('va.ping', [xml]));
		const started = performance.now();
		peer.write(bytes);
		return (await peer.wait(() => peer.answered.has(tag), capMs)) ? performance.now() - started : undefined;
	};

	for (const [type, fill] of Object.entries(scalarFillers)) {
		const ratio = await measure('guest', type, programFloorMs, async scale => timeOnce(fill(scale * size)));
		const large = Number.isFinite(ratio.large) ? ratio.large : undefined;
		ratios.push(ratio);
		log(`linearity guest ${type}: ${formatRatio(ratio)}`);
		if (large === undefined) {
			// Blocked or dead: a fresh daemon for the next type.
			peer.close();
			await guest.stop();
			guest = await startGuestDaemon();
			await sleep(200);
			peer = await Peer.connect(guest.socketPath);
		}
	}

	peer.close();
	await guest.stop();
	return ratios;
}

/** The monitor decoding the response to its va.ping, from our write to its printed line. */
export async function monitorRatios(size: number, capMs: number, log: (line: string) => void): Promise<Ratio[]> {
	const ratios: Ratio[] = [];
	const dir = mkdtempSync(path.join(tmpdir(), 'va-fuzz-linear-'));
	const guest = await listenAsGuest(dir);
	// A long command timeout: the cap below decides what is too slow, not the monitor.
	let monitor = startMonitor(guest.socketPath, ['--timeout', String(Math.ceil(capMs / 1000) + 5)]);
	const timeOnce = async (xml: string): Promise<number | undefined> => {
		const peer = await guest.connected(10_000);
		if (peer === undefined) {
			return undefined;
		}

		let started = 0;
		const body = responseXml(xml);
		peer.hook = (request, method, current) => {
			if (method !== 'va.ping') {
				return false;
			}

			current.hook = undefined;
			const bytes = frame('response', request.tag ?? 'none', body);
			started = performance.now();
			current.write(bytes);
			return true;
		};

		const before = monitor.stdoutLines.length;
		monitor.child.stdin!.write('agent_ping\n');
		return (await monitor.waitLines(before + 1, capMs + 2000)) && started > 0 ? performance.now() - started : undefined;
	};

	for (const [type, fill] of Object.entries(scalarFillers)) {
		const ratio = await measure('monitor', type, programFloorMs, async scale => timeOnce(fill(scale * size)));
		const large = Number.isFinite(ratio.large) ? ratio.large : undefined;
		ratios.push(ratio);
		log(`linearity monitor ${type}: ${formatRatio(ratio)}`);
		if (large === undefined) {
			await monitor.stop();
			guest.current()?.close();
			monitor = startMonitor(guest.socketPath, ['--timeout', String(Math.ceil(capMs / 1000) + 5)]);
		}
	}

	monitor.child.stdin!.end();
	await monitor.stop();
	await guest.close();
	rmSync(dir, {recursive: true, force: true});
	return ratios;
}

type Decoder = (body: Buffer) => unknown;

/**
 * The second tier: the compiled decode functions called in this process. They are looked up by
 * name, so a redesign that moves them only turns this tier off (it says so) instead of breaking.
 */
export async function inProcessRatios(size: number, skip: ReadonlySet<string>, log: (line: string) => void): Promise<Ratio[]> {
	let codec: Record<string, unknown>;
	try {
		codec = (await import(pathToFileURL(path.join(repoRoot, 'dist/src/protocol/codec.js')).href)) as Record<string, unknown>;
	} catch (error) {
		log(`linearity in-process: skipped (${(error as Error).message.split('\n')[0]})`);
		return [];
	}

	const ratios: Ratio[] = [];
	const ends: Array<['decodeCall' | 'decodeResponse', (xml: string) => string]> = [
		['decodeCall', xml => callXml('va.ping', [xml])],
		['decodeResponse', xml => responseXml(xml)],
	];
	for (const [end, wrap] of ends) {
		const decode = codec[end] as Decoder | undefined;
		if (typeof decode !== 'function') {
			log(`linearity in-process: ${end} not exported by the codec; skipped`);
			continue;
		}

		const timeOnce = async (xml: string): Promise<number> => {
			const body = Buffer.from(wrap(xml));
			const started = performance.now();
			let runs = 0;
			do {
				try {
					decode(body);
				} catch {
					// A refusal is an answer too: its time is what counts.
				}

				runs++;
			} while (performance.now() - started < inProcessSpanMs);
			return (performance.now() - started) / runs;
		};

		for (const [type, fill] of Object.entries(scalarFillers)) {
			if (skip.has(type)) {
				// In-process there is no cap: a type that blocked a program would block the fuzzer.
				log(`linearity ${end} ${type}: skipped (it blocked a program above)`);
				continue;
			}

			const ratio = await measure(end, type, inProcessFloorMs, async scale => timeOnce(fill(scale * size)));
			ratios.push(ratio);
			log(`linearity ${end} ${type}: ${formatRatio(ratio)}`);
		}
	}

	return ratios;
}

export function formatRatio(ratio: Ratio): string {
	const ms = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'over the cap');
	return `N ${ms(ratio.small)}, 2N ${ms(ratio.large)}, ratio ${Number.isFinite(ratio.ratio) ? ratio.ratio.toFixed(2) : '∞'}${ratio.ratio > maxRatio ? '  FAIL' : ''}`;
}
