import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {allCommands} from '../../commands/index.js';
import type {ConnectionState, SessionEvent} from '../../src/monitor/session-api.js';
import type {Session} from '../../src/monitor/session.js';
import {openSession, type SessionOptions} from '../../src/monitor/open-session.js';
import {startGuest} from '../guest/helpers.js';
import {tempDir, waitFor} from '../helpers/socket-pair.js';
import {startFakeGuest} from './helpers/fake-guest.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

function socketIn(prefix: string): string {
	const {dir, remove} = tempDir(prefix);
	cleanups.push(remove);
	return path.join(dir, 'va.sock');
}

async function monitor(
	socketPath: string,
	options: Partial<SessionOptions> = {},
): Promise<{session: Session; retries: Array<Extract<ConnectionState, {state: 'retrying'}>>}> {
	const session = await openSession({
		commands: allCommands,
		target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}},
		timeoutMs: 2000,
		...options,
	});
	cleanups.push(async () => session.close());
	// Each retry once (a status event repeats the connection when something else changed).
	const retries = new Set<Extract<ConnectionState, {state: 'retrying'}>>();
	session.subscribe((event: SessionEvent) => {
		if (event.type === 'status' && event.status.connection.state === 'retrying') {
			retries.add(event.status.connection);
		}
	});
	return {
		session,
		get retries() {
			return [...retries];
		},
	};
}

describe('the connection', () => {
	it('a second monitor on a guest daemon that has a host says "another host is connected" and backs off', async () => {
		const socketPath = socketIn('va-second-');
		const guest = startGuest(['--channel', 'unix-listen', '--path', socketPath]);
		cleanups.push(async () => guest.stop('SIGKILL'));
		await guest.waitForLine(/ info: listening on /);
		const first = await monitor(socketPath);
		await waitFor(() => first.session.status.guest.methods !== undefined, 5000, 'the first monitor negotiated');

		const second = await monitor(socketPath, {retryMinMs: 40, retryMaxMs: 2000});
		await waitFor(() => second.retries.length >= 3, 5000, 'three refused attempts');
		const [one, two, three] = second.retries;
		// Each connection ended at once: a failed attempt, so the back-off grows (it did not before).
		expect([one, two, three].map(retry => [retry!.attempt, retry!.inMs, retry!.reason])).toEqual([
			[1, 40, 'another host is connected'],
			[2, 80, 'another host is connected'],
			[3, 160, 'another host is connected'],
		]);
		const ping = await second.session.execute('agent_ping');
		expect(ping.text).toMatch(
			/^error: VirtagentFailed \(ENOTCONN\): not connected to the guest agent: (retrying in \S+ \(attempt \d+\): another host is connected|connected since .*)$/u,
		);
		const info = await second.session.execute('info agent');
		expect(info.text).toContain('another host is connected');
		// The first monitor was not disturbed.
		await expect(first.session.execute('agent_ping')).resolves.toMatchObject({ok: true, text: 'ok'});
	});

	it('a connection that lasted resets the back-off; one that ends at once does not', async () => {
		const socketPath = socketIn('va-backoff-');
		const {session} = await monitor(socketPath, {retryMinMs: 20, retryMaxMs: 1000, stableMs: 300});
		let log: Array<Extract<ConnectionState, {state: 'retrying'}>> = [];
		session.subscribe(event => {
			if (event.type === 'status' && event.status.connection.state === 'retrying' && log.at(-1) !== event.status.connection) {
				log.push(event.status.connection);
			}
		});
		// Nobody there: the attempts fail and the back-off grows.
		await waitFor(() => log.length >= 3, 3000, 'three failed attempts');
		expect(log.slice(0, 3).map(retry => retry.attempt)).toEqual([log[0]!.attempt, log[0]!.attempt + 1, log[0]!.attempt + 2]);
		const guest = await startFakeGuest({socketPath});
		await waitFor(() => session.status.connection.state === 'connected' && session.status.guest.methods !== undefined, 3000, 'connected');
		await new Promise(resolve => setTimeout(resolve, 400)); // Longer than stableMs: a good connection.
		log = [];
		await guest.close();
		await waitFor(() => log.length >= 1, 3000, 'a retry after the good connection');
		expect(log[0]).toMatchObject({attempt: 1, inMs: 20});
	});
});
