import {performance} from 'node:perf_hooks';
import {Agent} from '../../src/engine/agent.js';
import {MethodRegistry} from '../../src/engine/registry.js';
import {listenEndpoint} from '../../src/transport/endpoint.js';
import {type BenchOptions, scratch, withCleanup} from '../lib/context.js';
import {cliPath} from '../lib/paths.js';
import {startChild, waitForLine} from '../lib/process.js';
import {type CaseResult, compare, present} from '../lib/result.js';
import {type Contender, interleave} from '../lib/rounds.js';
import {guestArgs, startGuestDaemonForMonitors} from '../peers/guest-daemon.js';

const unit = 'ms';

/**
 * Case 6, start-up: launching `virtagent monitor -c agent_ping` until its `ok`, and launching
 * the guest daemon until its va.hello reaches a listening host. Bare `node -e ''` start-up is
 * measured in the same rounds as the floor both stand on.
 */
export async function startupCase(options: BenchOptions): Promise<CaseResult> {
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
			{
				name: 'guest daemon launch → va.hello',
				unit,
				async run() {
					const hello = new Promise<void>(resolve => {
						helloSeen = resolve;
					});
					const start = performance.now();
					const child = startChild(process.execPath, guestArgs('unix-connect', work.file('host.sock')));
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
				},
			},
		];
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
		checks: [],
		notes: [],
	};
}
