/**
 * va.shutdown in-process (docs/PROTOCOL.md §4, §5): a whole GuestDaemon in this process, the
 * project's engine as the host over a real socket, and a harmless shutdown command (a node
 * script that records its argv). Never a real shutdown.
 */
import {afterEach, describe, expect, it} from 'vitest';
import {ShutdownScheduler} from '../../src/guest/rpcs/shutdown.js';
import type {Channel} from '../../src/transport/channel.js';
import {gate, type Gate} from '../helpers/gate.js';
import {connectHost, faultOf as callFault, makeHost, waitFor} from './helpers.js';
import {faultOf, guestHandlers, inProcessGuest, memoryLog, recorder, valueOf, type InProcessGuest} from './in-process.js';
import {tempDir} from '../helpers/socket-pair.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

const sleep = async (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Writes the test can hold (until a gate opens) or break (the next write fails with its stream). */
type WriteControl = {hold(): Gate; breakNext(): void};

async function guestWith(delaySeconds: string): Promise<{guest: InProcessGuest; runs: () => string[][]; writes: WriteControl}> {
	const temp = tempDir('va-rpcs-shutdown-');
	cleanups.push(temp.remove);
	const record = recorder(temp.dir);
	let held: Gate | undefined;
	let breaking = false;
	const writes: WriteControl = {
		hold() {
			held = gate();
			return held;
		},
		breakNext() {
			breaking = true;
		},
	};
	const wrap = (channel: Channel): Channel => ({
		label: channel.label,
		start(handlers) {
			channel.start(handlers);
		},
		async write(data) {
			if (breaking) {
				// The stream breaks under this write (as a socket error would end it).
				breaking = false;
				channel.destroy();
				throw new Error('test: the stream broke');
			}

			const waiting = held;
			held = undefined;
			await waiting?.promise;
			return channel.write(data);
		},
		destroy() {
			channel.destroy();
		},
	});
	const argv = record
		.argv()
		.map(word => JSON.stringify(word))
		.join(' ');
	const guest = await inProcessGuest(['--shutdown-command', `${argv} {mode} {flag}`, '--shutdown-delay', delaySeconds], wrap);
	cleanups.push(async () => guest.close());
	// The daemon's own va.hello goes first: after it, the only writes are answers.
	await waitFor(() => guest.lines.includes('info: va.hello: the host answered'), 5000, 'va.hello');
	return {guest, runs: record.runs, writes};
}

const lineIndex = (guest: InProcessGuest, pattern: RegExp) => guest.lines.findIndex(line => pattern.test(line));
const exitsOf = (guest: InProcessGuest) => guest.lines.filter(line => line === 'notice: shutdown command exited with code 0').length;

describe('va.shutdown acts after its success answer is written, never otherwise', () => {
	it('runs the command for each mode with its flag, after the answer was sent, once', async () => {
		const {guest, runs} = await guestWith('0');
		for (const [mode, flag] of [
			['halt', '-H'],
			['powerdown', '-P'],
			['reboot', '-r'],
		] as const) {
			const exits = exitsOf(guest);
			expect(await guest.host.agent.call('va.shutdown', [mode])).toBe('dummy');
			await waitFor(() => exitsOf(guest) === exits + 1, 5000, `the ${mode} command`);
			expect(runs().at(-1)).toEqual([mode, flag]);
		}

		expect(runs()).toHaveLength(3);
		const sent = lineIndex(guest, /^debug: server #\d+ va\.shutdown sending→done$/u);
		const scheduled = lineIndex(guest, /^notice: shutdown \(halt\) in 0s: \[".*","halt","-H"\]$/u);
		expect(sent).toBeGreaterThanOrEqual(0);
		expect(scheduled).toBeGreaterThan(sent);
	});

	it('schedules nothing while its answer is still being written', async () => {
		const {guest, runs, writes} = await guestWith('0');
		const release = writes.hold();
		const answer = guest.host.agent.call('va.shutdown', ['halt']);
		await waitFor(() => lineIndex(guest, /^debug: server #\d+ va\.shutdown ready→sending$/u) >= 0, 5000, 'the answer being sent');
		expect(lineIndex(guest, /^notice: shutdown \(halt\) in /u)).toBe(-1);
		release.open();
		expect(await answer).toBe('dummy');
		await waitFor(() => exitsOf(guest) === 1, 5000, 'the halt command');
		expect(runs()).toEqual([['halt', '-H']]);
	});

	it('runs nothing when its answer could not be written, and takes another mode afterwards', async () => {
		const {guest, runs, writes} = await guestWith('0');
		writes.breakNext();
		const lost = await guest.host.agent.call('va.shutdown', ['halt']).then(String, (error: unknown) => (error as {code?: string}).code);
		expect(lost).toBe('ECONNRESET'); // The host never got a success answer.
		await waitFor(() => guest.lines.includes('warning: shutdown (halt) not started: its success reply was not the one sent'), 5000, 'the warning');
		await sleep(300);
		expect(runs()).toEqual([]);
		// The channel went down with that write: a new host is answered, and the halt left nothing pending.
		const host = makeHost();
		cleanups.push(() => {
			host.close();
		});
		await connectHost(host, guest.socketPath);
		expect(await host.agent.call('va.shutdown', ['reboot'])).toBe('dummy');
		await waitFor(() => runs().length === 1, 5000, 'the reboot command');
		expect(runs()).toEqual([['reboot', '-r']]);
	});

	it('answers a reboot while a halt is pending with fault -500, the same mode again without a second run', async () => {
		const {guest, runs} = await guestWith('0.3');
		expect(await guest.host.agent.call('va.shutdown', ['halt'])).toBe('dummy');
		const refused = await callFault(guest.host.agent.call('va.shutdown', ['reboot']));
		expect([refused.code, refused.faultString]).toEqual([-500, 'shutdown already under way (halt)']);
		expect(await guest.host.agent.call('va.shutdown', ['halt'])).toBe('dummy');
		await waitFor(() => exitsOf(guest) === 1, 5000, 'the halt command');
		expect(guest.lines).toContain('notice: shutdown (halt) requested again: one is already under way');
		expect(lineIndex(guest, /^notice: shutdown \(halt\) in 0\.3s: /u)).toBeGreaterThanOrEqual(0);
		expect(runs()).toEqual([['halt', '-H']]);
		// The machine is still up (a harmless command): the next request is taken.
		expect(await guest.host.agent.call('va.shutdown', ['reboot'])).toBe('dummy');
		await waitFor(() => exitsOf(guest) === 2, 5000, 'the reboot command');
		expect(runs()).toEqual([
			['halt', '-H'],
			['reboot', '-r'],
		]);
	});

	it('faults -501 an unknown mode (inherited names too) and runs nothing', async () => {
		const {guest, runs} = await guestWith('0');
		for (const mode of ['sideways', 'toString', '__proto__', 'constructor', 'HALT', '']) {
			const error = await callFault(guest.host.agent.call('va.shutdown', [mode]));
			expect([error.code, error.faultString]).toEqual([-501, `invalid shutdown type: ${mode}`]);
		}

		expect((await callFault(guest.host.agent.call('va.shutdown', []))).code).toBe(-501);
		// Nothing was left under way: a real mode is taken at once.
		expect(await guest.host.agent.call('va.shutdown', ['powerdown'])).toBe('dummy');
		await waitFor(() => exitsOf(guest) === 1, 5000, 'the powerdown command');
		expect(runs()).toEqual([['powerdown', '-P']]);
	});

	it('never runs a pending command once the daemon is closing', async () => {
		const {guest, runs} = await guestWith('0.3');
		expect(await guest.host.agent.call('va.shutdown', ['halt'])).toBe('dummy');
		await guest.daemon.close();
		await sleep(900); // Three times the delay: a run would show.
		expect(runs()).toEqual([]);
	});
});

describe('ShutdownScheduler with the answers settled by hand (orders the engine cannot produce at will)', () => {
	function scheduler(delayMs: number, command: string[]) {
		const log = memoryLog();
		const shutdown = new ShutdownScheduler({command, delayMs, log});
		return {handlers: guestHandlers({shutdown}), shutdown, log};
	}

	it('a failed answer keeps the mode while another answer for it is pending, and frees it once none is', async () => {
		const temp = tempDir('va-rpcs-sched-');
		cleanups.push(temp.remove);
		const record = recorder(temp.dir);
		const {handlers, log} = scheduler(0, record.argv('{mode}'));
		expect(valueOf(await handlers.call('va.shutdown', ['halt']))).toBe('dummy');
		expect(valueOf(await handlers.call('va.shutdown', ['halt']))).toBe('dummy');
		expect(handlers.replies).toHaveLength(2);
		handlers.replies[0]!(false);
		expect(log.lines).toEqual(['warning: shutdown (halt) not started: its success reply was not the one sent']);
		expect(faultOf(await handlers.call('va.shutdown', ['reboot']))).toEqual([-500, 'shutdown already under way (halt)']);
		handlers.replies[1]!(false);
		expect(valueOf(await handlers.call('va.shutdown', ['reboot']))).toBe('dummy');
		handlers.replies[2]!(true);
		expect(log.lines.at(-1)).toBe(`notice: shutdown (reboot) in 0s: ${JSON.stringify(record.argv('reboot'))}`);
		await waitFor(() => log.lines.at(-1) === 'notice: shutdown command exited with code 0', 5000, 'the command');
		expect(record.runs()).toEqual([['reboot']]);
	});

	it('says the delay in seconds, and cancel() forgets a pending command and frees the mode', async () => {
		const temp = tempDir('va-rpcs-sched-');
		cleanups.push(temp.remove);
		const record = recorder(temp.dir);
		const {handlers, shutdown, log} = scheduler(1500, record.argv('{mode}'));
		expect(valueOf(await handlers.call('va.shutdown', ['powerdown']))).toBe('dummy');
		handlers.replies[0]!(true);
		expect(log.lines).toEqual([`notice: shutdown (powerdown) in 1.5s: ${JSON.stringify(record.argv('powerdown'))}`]);
		shutdown.cancel();
		expect(valueOf(await handlers.call('va.shutdown', ['reboot']))).toBe('dummy');
		shutdown.cancel(); // Nothing scheduled: the answer for reboot is still pending, the mode stays.
		expect(faultOf(await handlers.call('va.shutdown', ['halt']))).toEqual([-500, 'shutdown already under way (reboot)']);
		await sleep(1800);
		expect(record.runs()).toEqual([]);
	});

	it('runs the command once even when the same mode is asked again while it runs', async () => {
		const temp = tempDir('va-rpcs-sched-');
		cleanups.push(temp.remove);
		const record = recorder(temp.dir);
		// Records, then stays a while: the requests below arrive while it runs.
		const {handlers, log} = scheduler(0, ['sh', '-c', '"$0" "$1" "$2" && sleep 0.5', ...record.argv('{mode}')]);
		expect(valueOf(await handlers.call('va.shutdown', ['halt']))).toBe('dummy');
		handlers.replies[0]!(true);
		await waitFor(() => record.runs().length === 1, 5000, 'the command to start');
		expect(valueOf(await handlers.call('va.shutdown', ['halt']))).toBe('dummy');
		handlers.replies[1]!(true);
		expect(log.lines.at(-1)).toBe('notice: shutdown (halt) requested again: one is already under way');
		expect(faultOf(await handlers.call('va.shutdown', ['reboot']))).toEqual([-500, 'shutdown already under way (halt)']);
		await waitFor(() => log.lines.includes('notice: shutdown command exited with code 0'), 5000, 'the command to end');
		expect(record.runs()).toEqual([['halt']]);
	});

	it('gives the command no input and drops its output (one that reads stdin and writes 200 KB ends)', async () => {
		const {handlers, log} = scheduler(0, ['sh', '-c', 'cat && head -c 200000 /dev/zero']);
		expect(valueOf(await handlers.call('va.shutdown', ['halt']))).toBe('dummy');
		handlers.replies[0]!(true);
		await waitFor(() => log.lines.includes('notice: shutdown command exited with code 0'), 5000, `the command to end; got ${JSON.stringify(log.lines)}`);
	});

	it('keeps the last 300 characters of a failing command’s stderr', async () => {
		const long = `${'a'.repeat(997)}END`;
		const {handlers, log} = scheduler(0, ['sh', '-c', `printf '%s' '${long}' >&2; exit 1`]);
		expect(valueOf(await handlers.call('va.shutdown', ['halt']))).toBe('dummy');
		handlers.replies[0]!(true);
		const line = `err: shutdown command exited with code 1: ${long.slice(-300)}`;
		await waitFor(() => log.lines.includes(line), 5000, `the line; got ${JSON.stringify(log.lines)}`);
	});

	it.each([
		[['sh', '-c', "echo first >&2; echo 'last words  ' >&2; exit 3", '{mode}'], 'err: shutdown command exited with code 3: last words'],
		[['sh', '-c', 'exit 4'], 'err: shutdown command exited with code 4: '],
		[['sh', '-c', 'kill -TERM $$'], 'err: shutdown command killed by SIGTERM: '],
		[['/nonexistent/shutdown', '{flag}'], 'err: shutdown command "/nonexistent/shutdown" failed to start: spawn /nonexistent/shutdown ENOENT'],
	])('logs how the command %j ended, then takes a new request', async (command, line) => {
		const {handlers, log} = scheduler(0, command);
		expect(valueOf(await handlers.call('va.shutdown', ['halt']))).toBe('dummy');
		handlers.replies[0]!(true);
		await waitFor(() => log.lines.includes(line), 5000, `the line ${line}; got ${JSON.stringify(log.lines)}`);
		// The command ended (the machine is still up): another mode is taken.
		expect(valueOf(await handlers.call('va.shutdown', ['reboot']))).toBe('dummy');
	});
});
