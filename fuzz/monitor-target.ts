/*
 * The monitor under a hostile guest. The fuzzer listens as the guest; `virtagent monitor
 * --connect` is scripted through its stdin, one `agent_ping` per line. A hostile round answers
 * that ping with a hostile response (or answers it politely and sends hostile requests of its
 * own); the good round after it must print a `{"return": …}` line within the bound.
 */
import {mkdtempSync, rmSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import type {TargetOptions} from './guest-target.js';
import {type HostileCase, makeCase, pickClass} from './hostile.js';
import {Peer} from './peer.js';
import {type Program, startProgram} from './program.js';
import {Random} from './random.js';
import {newStats, saveInput, type TargetStats} from './report.js';

/** Each command's deadline given to the monitor, in seconds: a hostile round costs at most this. */
const commandTimeoutSeconds = 2;

type FakeGuest = {
	readonly socketPath: string;
	/** The monitor's current connection (it reconnects after a reset). */
	current(): Peer | undefined;
	/** Resolves with the connection once the monitor is connected. */
	connected(ms: number): Promise<Peer | undefined>;
	close(): Promise<void>;
};

export async function listenAsGuest(dir: string): Promise<FakeGuest> {
	const socketPath = path.join(dir, 'guest.sock');
	let peer: Peer | undefined;
	let onConnect: (() => void) | undefined;
	const server = net.createServer(socket => {
		peer?.close();
		peer = new Peer(socket);
		onConnect?.();
	});
	await new Promise<void>(resolve => server.listen(socketPath, resolve));
	return {
		socketPath,
		current: () => (peer?.closed ? undefined : peer),
		async connected(ms) {
			if (peer !== undefined && !peer.closed) {
				return peer;
			}

			return new Promise(resolve => {
				const timer = setTimeout(() => {
					onConnect = undefined;
					resolve(undefined);
				}, ms);
				onConnect = () => {
					clearTimeout(timer);
					onConnect = undefined;
					resolve(peer);
				};
			});
		},
		async close() {
			peer?.close();
			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
}

/** The fuzzer speaks virtagent's protocol: auto-detection is not what it tests. */
export function startMonitor(socketPath: string, extraArgs: readonly string[] = []): Program {
	return startProgram(['monitor', '--connect', socketPath, '--protocol', 'virtagent', '--json', '--timeout', String(commandTimeoutSeconds), ...extraArgs], {
		stdin: true,
	});
}

export async function fuzzMonitor(options: TargetOptions): Promise<TargetStats> {
	const stats = newStats('monitor');
	const random = new Random(options.seed);
	const dir = mkdtempSync(path.join(tmpdir(), 'va-fuzz-monitor-'));
	const guest = await listenAsGuest(dir);
	let monitor = startMonitor(guest.socketPath);
	let rawEscapes = 0;
	let tagCounter = 0;
	const end = Date.now() + options.seconds * 1000;
	for (let round = 1; Date.now() < end; round++) {
		const cls = pickClass(random, options.classes);
		const direction = cls === 'flood' || cls === 'slow-reader' || random.chance(0.4) ? 'request' : 'response';
		const caseRandom = random.fork();
		let hostile: HostileCase | undefined;
		const sent: Buffer[] = [];
		const record = (kind: 'crash' | 'unanswered' | 'rss', detail: string): void => {
			const input = saveInput(`monitor-seed${options.seed}-round${round}-${cls}`, sent);
			stats.findings.push({kind, target: 'monitor', round, cls, label: `${direction}: ${hostile?.label ?? 'not sent'}`, detail, input});
			options.log(`monitor round ${round}: ${kind} after ${cls} (${direction}: ${hostile?.label ?? 'not sent'}): ${detail.split('\n')[0]}`);
		};

		const makeHostile = (tag: string): HostileCase => {
			const built = makeCase(cls, caseRandom, {
				direction,
				tag: () => (direction === 'response' ? tag : `g${++tagCounter}`),
				methods: ['va.ping', 'va.hello', 'va.capabilities', 'system.listMethods', 'no.such'],
				bigFile: undefined,
				stallMs: options.stallMs,
			});
			for (const step of built.steps) {
				if ('bytes' in step) {
					sent.push(step.bytes);
				}
			}

			return built;
		};

		let peer = await guest.connected(10_000);
		const before = monitor.stdoutLines.length;
		let played: Promise<void> = Promise.resolve();
		if (direction === 'response' && peer !== undefined) {
			// The monitor's va.ping gets the hostile bytes as its answer.
			peer.hook = (request, method, current) => {
				if (method !== 'va.ping') {
					return false;
				}

				current.hook = undefined;
				hostile = makeHostile(request.tag ?? 'none');
				played = current.play(hostile.steps);
				return true;
			};
		} else if (peer !== undefined) {
			peer.hook = undefined;
			peer.answered.clear();
			hostile = makeHostile('');
			played = peer.play(hostile.steps);
		}

		monitor.child.stdin!.write('agent_ping\n');
		// The hostile round ends when the monitor has printed its command's outcome.
		await monitor.waitLines(before + 1, commandTimeoutSeconds * 1000 + (hostile?.extraMs ?? 0) + 15_000);
		await played;
		if (hostile !== undefined) {
			stats.cases++;
			stats.frames += hostile.frames;
			stats.perClass[cls] = (stats.perClass[cls] ?? 0) + 1;
		}

		// The good round: a polite guest; the command must succeed.
		const goodBefore = monitor.stdoutLines.length;
		const current = guest.current();
		if (current !== undefined) {
			current.hook = undefined;
		}

		monitor.child.stdin!.write('agent_ping\n');
		// A hostile answer that the monitor could not match keeps the guest's slot busy until the
		// grace period (twice the timeout) resets the channel; then it reconnects (§4).
		const bound = options.goodBoundMs + (hostile?.extraMs ?? 0) + commandTimeoutSeconds * 3000;
		let answered = false;
		const deadline = Date.now() + bound;
		while (!answered && Date.now() < deadline && monitor.exit === undefined) {
			if (!(await monitor.waitLines(goodBefore + 1, Math.max(0, deadline - Date.now())))) {
				break;
			}

			answered = monitor.stdoutLines.slice(goodBefore).some(isReturnLine);
			if (!answered) {
				// It failed (the earlier hostile job still held the slot): ask again.
				const retryBefore = monitor.stdoutLines.length;
				monitor.child.stdin!.write('agent_ping\n');
				await monitor.waitLines(retryBefore + 1, Math.max(0, deadline - Date.now()));
				answered = monitor.stdoutLines.slice(retryBefore).some(isReturnLine);
			}
		}

		const mustAnswer = hostile?.mustAnswer ?? [];
		peer = guest.current();
		if (answered && peer !== undefined && mustAnswer.length > 0) {
			const current = peer;
			await current.wait(() => mustAnswer.every(tag => current.answered.has(tag)), Math.max(1000, deadline - Date.now()));
		}

		const missing = peer === undefined ? 0 : mustAnswer.filter(tag => !peer!.answered.has(tag)).length;
		stats.goodRequests++;
		stats.peakRss = Math.max(stats.peakRss, monitor.peakRss);
		if (monitor.exit !== undefined) {
			stats.crashes++;
			record('crash', `exit ${monitor.exit}; stderr tail:\n${monitor.stderrTail().slice(-1500)}`);
		} else if (!answered) {
			stats.unanswered++;
			record(
				'unanswered',
				`good agent_ping gave no {"return"} within ${bound} ms; last lines: ${monitor.stdoutLines.slice(goodBefore).join(' | ').slice(0, 400)}`,
			);
		} else if (missing > 0 && peer !== undefined && !peer.closed) {
			stats.unanswered++;
			record('unanswered', `${missing} of the case's ${mustAnswer.length} requests to the monitor were never answered`);
		} else if (monitor.peakRss > options.rssBound) {
			record('rss', `peak RSS ${monitor.peakRss} bytes over the bound ${options.rssBound}`);
		}

		if (monitor.exit !== undefined || !answered || monitor.peakRss > options.rssBound) {
			rawEscapes += monitor.rawEscapes;
			await monitor.stop();
			guest.current()?.close();
			monitor = startMonitor(guest.socketPath);
			stats.restarts++;
		}
	}

	rawEscapes += monitor.rawEscapes;
	if (rawEscapes > 0) {
		stats.findings.push({
			kind: 'raw-escape',
			target: 'monitor',
			round: 0,
			cls: '-',
			label: 'stdout/stderr',
			detail: `${rawEscapes} raw ESC/CSI bytes printed by the monitor (§7)`,
		});
	}

	monitor.child.stdin!.end();
	await monitor.stop();
	await guest.close();
	rmSync(dir, {recursive: true, force: true});
	return stats;
}

/** A `--json` result line that succeeded (docs/JSON.md: `{"id", "command", "return"}`). */
function isReturnLine(line: string): boolean {
	try {
		const parsed: unknown = JSON.parse(line);
		return typeof parsed === 'object' && parsed !== null && 'return' in parsed;
	} catch {
		return false;
	}
}
