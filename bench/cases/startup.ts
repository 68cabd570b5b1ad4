import {existsSync, mkdirSync} from 'node:fs';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {Agent} from '../../src/engine/agent.js';
import {MethodRegistry} from '../../src/engine/registry.js';
import {listenEndpoint} from '../../src/transport/endpoint.js';
import {type BenchOptions, scratch, withCleanup} from '../lib/context.js';
import {cliPath, projectRoot} from '../lib/paths.js';
import {startChild, waitForLine} from '../lib/process.js';
import {type CaseResult, type Check, check, compare, present} from '../lib/result.js';
import {type Contender, type Figure, interleave} from '../lib/rounds.js';
import {guestArgs, startGuestDaemonForMonitors} from '../peers/guest-daemon.js';
import {findQemuGa, startQemuGa} from '../peers/qemu-ga.js';

const unit = 'ms';

const guestExecutable = path.join(projectRoot, 'dist', 'virtagent-guest');

/**
 * Case 6, start-up: launching `virtagent monitor -c agent_ping` until its `ok`, and launching
 * the guest daemon until its va.hello reaches a listening host. Bare `node -e ''` start-up is
 * measured in the same rounds as the floor both stand on. Beside them, when built and installed,
 * the guest executable (npm run build:guest) to its hello and qemu-ga (block-listed) to its first
 * answer: boot-to-hello against boot-to-qemu-ga-answering at the CPU's own speed, which is what
 * a KVM guest runs at (the emulated figure is the QEMU e2e's).
 */
export async function startupCase(options: BenchOptions): Promise<CaseResult> {
	const notes: string[] = [];
	const figures = await withCleanup(async defer => {
		const work = scratch('startup');
		defer(work.remove);

		// A guest for the monitor to ping.
		await startGuestDaemonForMonitors(work.file('guest.sock'), defer);

		// A host that waits for hellos from freshly launched guests.
		let helloSeen: (() => void) | undefined;
		const registry = new MethodRegistry()
			.register('va.hello', 'A guest is up.', () => {
				helloSeen?.();
				return 'dummy';
			})
			.register('va.ping', 'Answer "dummy".', () => 'dummy');
		let host: Agent | undefined;
		const listener = await listenEndpoint({kind: 'unix', path: work.file('host.sock')}, channel => {
			host?.close();
			host = new Agent({name: 'host', registry});
			host.attach(channel);
		});
		defer(async () => listener.close());
		defer(() => host?.close());

		const contenders: Contender[] = [
			{
				name: 'node -e "" (the floor)',
				unit,
				async run() {
					const start = performance.now();
					const child = startChild(process.execPath, ['-e', '']);
					await new Promise(resolve => child.process.once('exit', resolve));
					return performance.now() - start;
				},
			},
			{
				name: 'monitor -c agent_ping → ok',
				unit,
				async run() {
					const start = performance.now();
					const child = startChild(process.execPath, [cliPath, 'monitor', '--connect', work.file('guest.sock'), '-c', 'agent_ping']);
					try {
						await waitForLine(child, /^ok$/);
						return performance.now() - start;
					} finally {
						await child.stop();
					}
				},
			},
			{name: 'guest daemon launch → va.hello', unit, run: async () => launchToHello(process.execPath, guestArgs('unix-connect', work.file('host.sock')))},
		];
		if (existsSync(guestExecutable)) {
			contenders.push({
				name: 'guest executable launch → va.hello',
				unit,
				run: async () => launchToHello(guestExecutable, guestArgs('unix-connect', work.file('host.sock')).slice(2), guestEnvironment()),
			});
		} else {
			notes.push('dist/virtagent-guest is not built (npm run build:guest): its start-up is left out');
		}

		const qemuGa = findQemuGa();
		if (qemuGa) {
			let round = 0;
			contenders.push({
				name: 'qemu-ga launch → first answer',
				unit,
				async run() {
					const dir = work.file(`qga-${round++}`);
					mkdirSync(dir);
					const start = performance.now();
					// Its first answer is to guest-info, which the bench asks first to check the block list.
					const agent = await startQemuGa(qemuGa, dir);
					const elapsed = performance.now() - start;
					await agent.stop();
					return elapsed;
				},
			});
		} else {
			notes.push('qemu-ga is not installed: its start-up is left out');
		}

		/** From launching `command` until its va.hello reaches the listening host. */
		async function launchToHello(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<number> {
			const hello = new Promise<void>(resolve => {
				helloSeen = resolve;
			});
			const start = performance.now();
			const child = startChild(command, args, env ? {env} : {});
			try {
				await Promise.race([
					hello,
					new Promise((_, reject) => {
						child.process.once('exit', code => reject(new Error(`guest exited (${code}) before its hello: ${child.stderr()}`)));
					}),
				]);
				return performance.now() - start;
			} finally {
				await child.stop();
			}
		}

		return interleave(contenders, options);
	});

	return {
		id: 'startup',
		title: '6a. Start-up: launch to result',
		figures,
		comparisons: present([
			compare(figures, 'monitor -c agent_ping / bare node', 'monitor -c agent_ping → ok', 'node -e "" (the floor)'),
			compare(figures, 'guest hello / bare node', 'guest daemon launch → va.hello', 'node -e "" (the floor)'),
		]),
		checks: helloAfterQemuGa(figures),
		notes,
	};
}

/**
 * The environment a guest's service manager gives the executable (contrib/virtagent-guest.service):
 * TZ=UTC, and no NODE_EXTRA_CA_CERTS, which some hosts set and which makes every Node start parse
 * a CA bundle first (most of a start-up's instructions where it is set).
 */
function guestEnvironment(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {...process.env, TZ: 'UTC'};
	delete env['NODE_EXTRA_CA_CERTS'];
	return env;
}

/** Issue #14's boot-to-hello goal, at the CPU's own speed: the executable's hello within 1 s of qemu-ga's first answer. */
function helloAfterQemuGa(figures: readonly Figure[]): Check[] {
	const ours = figures.find(figure => figure.name === 'guest executable launch → va.hello');
	const theirs = figures.find(figure => figure.name === 'qemu-ga launch → first answer');
	return ours && theirs
		? [check('executable hello after qemu-ga answers (hardware speed, as under KVM)', ours.median - theirs.median, unit, {op: '<=', value: 1000})]
		: [];
}
