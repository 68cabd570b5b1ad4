/*
 * The guest daemon under a hostile host: hostile cases on one connection, each followed by a
 * good va.ping that must be answered; a crash, a silence or a memory blow-up is a finding.
 */
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {type CaseClass, type HostileCase, makeCase, pickClass} from './hostile.js';
import {Peer} from './peer.js';
import {type Program, sleep, startProgram, until} from './program.js';
import {Random} from './random.js';
import {newStats, saveInput, type TargetStats} from './report.js';
import {callXml, frame} from './wire.js';

export type TargetOptions = {
	readonly seconds: number;
	readonly seed: number;
	readonly classes: readonly CaseClass[];
	readonly rssBound: number;
	/** How long a good request may take after an ordinary case. */
	readonly goodBoundMs: number;
	readonly stallMs: number;
	readonly log: (line: string) => void;
};

export type GuestHandle = {
	readonly program: Program;
	readonly socketPath: string;
	readonly dir: string;
	stop(): Promise<void>;
};

export async function startGuestDaemon(extraArgs: readonly string[] = []): Promise<GuestHandle> {
	const dir = mkdtempSync(path.join(tmpdir(), 'va-fuzz-guest-'));
	const socketPath = path.join(dir, 'guest.sock');
	// `true` as the shutdown command: a hostile va.shutdown must never reach this machine.
	const program = startProgram([
		'guest',
		'--channel',
		'unix-listen',
		'--path',
		socketPath,
		'--shutdown-command',
		'true',
		'--shutdown-delay',
		'0',
		'--verbose',
		...extraArgs,
	]);
	if (!(await until(() => existsSync(socketPath) || program.exit !== undefined, 15_000))) {
		await program.stop();
		throw new Error(`the guest daemon did not listen on ${socketPath}:\n${program.stderrTail()}`);
	}

	return {
		program,
		socketPath,
		dir,
		async stop() {
			await program.stop();
			rmSync(dir, {recursive: true, force: true});
		},
	};
}

/** A connection the guest accepts as its host (a refused one closes at once: retry). */
async function connectHost(socketPath: string): Promise<Peer | undefined> {
	for (let attempt = 0; attempt < 20; attempt++) {
		try {
			const peer = await Peer.connect(socketPath);
			if (!(await peer.wait(() => false, 300)) && !peer.closed) {
				return peer;
			}
		} catch {
			// Not listening yet, or refused.
		}

		await sleep(100);
	}

	return undefined;
}

export async function fuzzGuest(options: TargetOptions): Promise<TargetStats> {
	const stats = newStats('guest');
	const random = new Random(options.seed);
	const filesDir = mkdtempSync(path.join(tmpdir(), 'va-fuzz-files-'));
	const bigFile = path.join(filesDir, 'big.bin');
	writeFileSync(bigFile, Buffer.alloc(1_400_000, 0x41));
	let rawEscapes = 0;
	let guest = await startGuestDaemon();
	let peer = await connectHost(guest.socketPath);
	let tagCounter = 0;
	const context = {
		direction: 'request' as const,
		tag: () => `h${++tagCounter}`,
		methods: ['va.ping', 'va.getfile', 'va.getdmesg', 'va.shutdown', 'va.capabilities', 'system.listMethods', 'no.such'],
		bigFile,
		stallMs: options.stallMs,
	};
	const end = Date.now() + options.seconds * 1000;
	for (let round = 1; Date.now() < end; round++) {
		const cls = pickClass(random, options.classes);
		const hostile: HostileCase = makeCase(cls, random.fork(), context);
		stats.cases++;
		stats.frames += hostile.frames;
		stats.perClass[cls] = (stats.perClass[cls] ?? 0) + 1;
		const record = (kind: 'crash' | 'unanswered' | 'rss', detail: string): void => {
			const input = saveInput(
				`guest-seed${options.seed}-round${round}-${cls}`,
				hostile.steps.flatMap(step => ('bytes' in step ? [step.bytes] : [])),
			);
			stats.findings.push({kind, target: 'guest', round, cls, label: hostile.label, detail, input});
			options.log(`guest round ${round}: ${kind} after ${cls} (${hostile.label}): ${detail.split('\n')[0]}`);
		};

		peer ??= await connectHost(guest.socketPath);
		peer?.answered.clear();
		await peer?.play(hostile.steps);
		const goodTag = `good${round}`;
		const goodRequest = frame('request', goodTag, callXml('va.ping', ['<string>good</string>']));
		const bound = options.goodBoundMs + hostile.extraMs;
		let answered = false;
		const deadline = Date.now() + bound;
		// The case may have ended the connection (hang-up, stuck channel): a new host must be served.
		while (!answered && Date.now() < deadline && guest.program.exit === undefined) {
			if (peer === undefined || peer.closed) {
				peer = await connectHost(guest.socketPath);
				if (peer === undefined) {
					break;
				}
			}

			peer.write(goodRequest);
			const current: Peer = peer;
			answered = await current.wait(
				() => current.answered.has(goodTag) && hostile.mustAnswer.every(tag => current.answered.has(tag)),
				Math.max(0, deadline - Date.now()),
			);
		}

		stats.goodRequests++;
		stats.peakRss = Math.max(stats.peakRss, guest.program.peakRss);
		if (guest.program.exit !== undefined) {
			stats.crashes++;
			record('crash', `exit ${guest.program.exit}; stderr tail:\n${guest.program.stderrTail().slice(-1500)}`);
		} else if (!answered) {
			stats.unanswered++;
			const missing = hostile.mustAnswer.filter(tag => !peer?.answered.has(tag)).length;
			record(
				'unanswered',
				`good va.ping not answered within ${bound} ms${missing > 0 ? `; ${missing} of the case's ${hostile.mustAnswer.length} requests unanswered` : ''}`,
			);
		} else if (guest.program.peakRss > options.rssBound) {
			record('rss', `peak RSS ${guest.program.peakRss} bytes over the bound ${options.rssBound}`);
		}

		if (guest.program.exit !== undefined || !answered || guest.program.peakRss > options.rssBound) {
			// Start from a clean daemon so one finding does not hide the next.
			peer?.close();
			peer = undefined;
			rawEscapes += guest.program.rawEscapes;
			await guest.stop();
			guest = await startGuestDaemon();
			stats.restarts++;
		}
	}

	peer?.close();
	rawEscapes += guest.program.rawEscapes;
	if (rawEscapes > 0) {
		stats.findings.push({
			kind: 'raw-escape',
			target: 'guest',
			round: 0,
			cls: '-',
			label: 'stderr',
			detail: `${rawEscapes} raw ESC/CSI bytes on the guest's own log (§7)`,
		});
	}

	await guest.stop();
	rmSync(filesDir, {recursive: true, force: true});
	return stats;
}
