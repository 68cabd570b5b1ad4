/**
 * The shell's backlog over a real session and engine, against a fake guest whose va.getdmesg
 * waits for the test: pasted batches larger than the engine's five slots all run, in order.
 */
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {sessionBacklog, type BacklogResult} from '../../src/monitor/backlog.js';
import {allCommands} from '../../commands/index.js';
import type {Session} from '../../src/monitor/session.js';
import {openSession} from '../../src/monitor/open-session.js';
import {gate, type Gate} from '../helpers/gate.js';
import {tempDir, waitFor} from '../helpers/socket-pair.js';
import {startFakeGuest} from './helpers/fake-guest.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

/** A negotiated session whose guest answers va.getdmesg only once `release` is opened. */
async function slowGuest(): Promise<{session: Session; release: Gate; served: string[]}> {
	const release = gate();
	const served: string[] = [];
	const {dir, remove} = tempDir('va-backlog-');
	cleanups.push(remove);
	const socketPath = path.join(dir, 'va.sock');
	const guest = await startFakeGuest({
		socketPath,
		files: {'/etc/hostname': Buffer.from('guest01\n')},
		setup(registry) {
			registry.register('va.getdmesg', 'slow', async () => {
				served.push('va.getdmesg');
				await release.promise;
				return 'late';
			});
		},
	});
	cleanups.push(async () => guest.close());
	const session = await openSession({commands: allCommands, target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}}, timeoutMs: 10_000});
	cleanups.push(async () => session.close());
	// Quiet: the hello came and the negotiation it starts is over, so no job of the session's own holds a slot.
	await waitFor(
		() => session.status.guest.helloAt !== undefined && session.status.guest.methods !== undefined && session.model.client.jobs.length === 0,
		3000,
		'hello and negotiation',
	);
	cleanups.push(() => release.open());
	return {session, release, served};
}

describe('the shell backlog', () => {
	it('runs a pasted batch of 10 in order: 5 in the engine, 5 waiting, no ENOBUFS', async () => {
		const {session, release} = await slowGuest();
		const backlog = sessionBacklog(session);
		cleanups.push(() => backlog.dispose());
		const results = Array.from({length: 10}, async () => backlog.submit('agent_viewdmesg'));
		await waitFor(() => session.model.client.jobs.length === 5 && backlog.state.waiting === 5, 3000, 'five jobs and five waiting');
		expect(backlog.state).toMatchObject({waiting: 5, running: 5, capacity: 1000, refused: 0});
		release.open();
		const done = await Promise.all(results);
		expect(done.map(result => result.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
		expect(done.map(result => result.outcome.text)).toEqual(Array.from({length: 10}, () => 'late'));
		expect(backlog.state).toMatchObject({waiting: 0, running: 0});
	});

	it('starts commands in typed order, so info queues sees the jobs typed before it', async () => {
		const {session, release, served} = await slowGuest();
		const backlog = sessionBacklog(session);
		cleanups.push(() => backlog.dispose());
		const lines = ['agent_viewdmesg', 'agent_viewfile /etc/hostname', 'agent_ping', 'info queues'];
		const results = lines.map(async line => backlog.submit(line));
		const queues = await results[3]!;
		expect(queues.outcome.text).toMatch(/^client: WAIT, 3\/5 jobs/u);
		expect(queues.outcome.text).toMatch(/#\d+ va\.getdmesg waiting .*\n.*#\d+ va\.getfile queued .*\n.*#\d+ va\.ping queued/u);
		release.open();
		expect((await Promise.all(results)).map(result => result.outcome.ok)).toEqual([true, true, true, true]);
		expect(served).toEqual(['va.getdmesg']);
	});

	it('lets info and cancel overtake waiting lines, so a jammed queue can be unjammed', async () => {
		const {session, release} = await slowGuest();
		const backlog = sessionBacklog(session);
		cleanups.push(() => backlog.dispose());
		const jammed = Array.from({length: 7}, async () => backlog.submit('agent_viewdmesg'));
		await waitFor(() => backlog.state.waiting === 2, 3000, 'two waiting');
		const info = await backlog.submit('info queues');
		expect(info.outcome.text).toMatch(/^client: WAIT, 5\/5 jobs/u);
		const waitingJob = session.model.client.jobs[0]!.id;
		const cancel = await backlog.submit(`cancel ${waitingJob}`);
		expect(cancel.outcome).toMatchObject({ok: true});
		release.open();
		const outcomes = (await Promise.all(jammed)).map(result => result.outcome);
		expect(outcomes.filter(outcome => !outcome.ok).map(outcome => outcome.text)).toEqual(['error: VirtagentFailed (ECANCELED): va.getdmesg cancelled']);
	});

	it('holds at most its capacity and refuses the rest clearly; ENOBUFS stays for callers that overfill the engine', async () => {
		const {session, release} = await slowGuest();
		const backlog = sessionBacklog(session, 3);
		cleanups.push(() => backlog.dispose());
		const accepted: Array<Promise<BacklogResult>> = [];
		for (let running = 1; running <= 5; running++) {
			accepted.push(backlog.submit('agent_viewdmesg'));
			await waitFor(() => backlog.state.running === running, 3000, `${running} running`);
		}

		accepted.push(...Array.from({length: 3}, async () => backlog.submit('agent_viewdmesg')));
		expect(backlog.state).toMatchObject({waiting: 3, running: 5});
		const refused: BacklogResult = await backlog.submit('agent_ping');
		expect(refused).toMatchObject({
			id: 9,
			outcome: {ok: false, text: 'error: the backlog is full (3 commands waiting): not run', error: {class: 'GenericError'}},
		});
		expect(backlog.state.refused).toBe(1);
		// Straight to the engine, past the backlog: the engine's own limit answers.
		await expect(session.execute('agent_viewdmesg')).resolves.toMatchObject({ok: false, error: {data: {code: 'ENOBUFS'}}});
		release.open();
		expect((await Promise.all(accepted)).every(result => result.outcome.ok)).toBe(true);
	});
});
