import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {quitHint} from '../../../src/monitor/ui/app.js';
import {mountScreen, startInteractive} from '../../../src/monitor/ui/start.js';
import {tempDir, waitFor} from '../../helpers/socket-pair.js';
import {pairedSession, type PairedSession} from './helpers/paired-session.js';
import {FakeStdin, FakeStdout, tick} from './helpers/fake-tty.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

async function session(options: Parameters<typeof pairedSession>[0] = {}): Promise<PairedSession> {
	const created = await pairedSession(options);
	cleanups.push(async () => created.close());
	return created;
}

/**
 * The App on fake terminal streams, as startInteractive runs it (not Ink's debug mode): the
 * scrollback is written above the live region as in a real terminal, and `frame()` is what the
 * operator sees, scrollback and live region.
 */
async function screen(options: Parameters<typeof pairedSession>[0] = {}) {
	const agent = await session(options);
	const stdin = new FakeStdin();
	const stdout = new FakeStdout();
	const frameMs = 10;
	const {instance: app} = mountScreen(agent.session, {frameMs, stdin: stdin as unknown as NodeJS.ReadStream, stdout, patchConsole: false});
	cleanups.push(() => {
		app.unmount();
	});
	const frame = () => stdout.screen();
	const until = async (predicate: (text: string) => boolean, what: string) =>
		waitFor(() => predicate(frame()), 5000, what).catch(error => {
			throw new Error(`${(error as Error).message}; screen:\n${frame()}`);
		});
	await until(text => text.includes('(virtagent)'), 'the prompt');
	return {agent, app, frame, until, type: (text: string) => stdin.write(text)};
}

/** The live prompt line (the last line that starts with the prompt). */
function promptLine(frame: string): string {
	return frame
		.split('\n')
		.findLast(line => line.startsWith('(virtagent)'))!
		.trimEnd();
}

describe('the interactive screen', () => {
	it('shows the status line, runs a command typed with Enter in one chunk, and prints its result', async () => {
		const {agent, frame, until, type} = await screen();
		expect(frame()).toMatch(/unix:[\s\S]*● connected[\s\S]*guest said hello at \d\d:\d\d:\d\d, version 1\.0, (\d+) methods/u);
		expect(Number(/(?<!\d)(\d+) methods/u.exec(frame())![1])).toBe(agent.guest.registry.listMethods().length);
		type('agent_ping\r');
		await until(text => /\(virtagent\) agent_ping\s*\nok\n/u.test(text), 'the echo and ok');
		expect(agent.executed).toEqual(['agent_ping']);
		expect(frame()).toMatch(/client\s+IDLE\s+queue 0\/5\s+done \d+ failed 0/u);
		expect(frame()).toMatch(/\d\d:\d\d:\d\d\.\d{3} client WAIT→IDLE #\d+ va\.ping/u);
	});

	it('submits every line of a pasted chunk, in order', async () => {
		const {agent, until, type} = await screen();
		type('agent_ping\ragent_viewdmesg\nagent_vi');
		await until(text => text.includes('kernel: hello'), 'the dmesg');
		expect(agent.executed).toEqual(['agent_ping', 'agent_viewdmesg']);
		await until(text => promptLine(text).startsWith('(virtagent) agent_vi'), 'the rest of the chunk on the prompt');
	});

	it('keeps the prompt usable while jobs wait; a 6th and 7th wait in the shell backlog, shown, and run later', async () => {
		const {agent, frame, until, type} = await screen();
		agent.hold();
		for (let index = 0; index < 5; index++) {
			type('test_hold\r');
		}

		await until(text => text.includes('queue 5/5'), 'a full queue');
		expect(
			frame()
				.split('\n')
				.filter(line => /#\d+\s+test\.hold\s+(waiting|queued)/u.test(line)),
		).toHaveLength(5);
		type('test_hold\rtest_hold\r');
		await until(text => text.includes('backlog: 2 waiting (at most 1000)'), 'the backlog count');
		// The engine still holds five: the backlog does not overfill it.
		expect(agent.host.clientJobCount).toBe(5);
		expect(frame()).not.toContain('client job queue limit exceeded');
		type('agent_p');
		await until(text => promptLine(text) === '(virtagent) agent_p', 'typing while jobs wait');
		agent.release();
		await until(text => text.split('\n').filter(line => line === 'released').length === 7, 'seven results');
		await until(text => !text.includes('backlog:'), 'the backlog count gone');
		await until(text => text.includes('queue 0/5'), 'an empty queue');
	});

	it('completes commands and arguments with Tab, and lists several candidates', async () => {
		const {until, type} = await screen();
		type('agent_sh');
		await tick();
		type('\t');
		await until(text => promptLine(text) === '(virtagent) agent_shutdown', 'the command completed');
		type('\t');
		await until(text => /halt\s+powerdown\s+reboot/u.test(text), 'the modes listed');
		type('po');
		await tick();
		type('\t');
		await until(text => promptLine(text) === '(virtagent) agent_shutdown powerdown', 'the mode completed');
		await until(text => !/halt\s+powerdown\s+reboot/u.test(text), 'the list gone on the next key');
	});

	it('recalls history with Up/Down and edits with Ctrl-A/E/U/W/K', async () => {
		const {until, type} = await screen();
		type('agent_ping\r');
		await until(text => text.includes('\nok\n'), 'ok');
		type('agent_viewdmesg\r');
		await until(text => text.includes('kernel: hello'), 'dmesg');
		type('\u001B[A');
		await until(text => promptLine(text) === '(virtagent) agent_viewdmesg', 'Up');
		type('\u001B[A');
		await until(text => promptLine(text) === '(virtagent) agent_ping', 'Up again');
		type('\u001B[B');
		await until(text => promptLine(text) === '(virtagent) agent_viewdmesg', 'Down');
		type('\u0017');
		await until(text => promptLine(text) === '(virtagent)', 'Ctrl-W');
		type('help agent_ping');
		await tick();
		type('\u0001');
		await tick();
		type('x ');
		await until(text => promptLine(text) === '(virtagent) x help agent_ping', 'Ctrl-A then typing');
		type('\u0005');
		await tick();
		type('\u0017');
		await until(text => promptLine(text) === '(virtagent) x help', 'Ctrl-E, Ctrl-W');
		type('\u0001\u0006');
		await tick();
		type('\u000B');
		await until(text => promptLine(text) === '(virtagent) x', 'Ctrl-K');
		type('\u0015');
		await until(text => promptLine(text) === '(virtagent)', 'Ctrl-U');
	});

	it('shows guest text with its control sequences made harmless', async () => {
		// C1 controls and bidi overrides are valid XML: they cross the codec (C0 ones do not).
		const {frame, until, type} = await screen({dmesg: 'boot ok\n\u009B2J\u009D0;owned\u009C red\u202E'});
		type('agent_viewdmesg\r');
		await until(text => text.includes('boot ok'), 'dmesg');
		expect(frame()).not.toMatch(/[\u0080-\u009F\u202E]/u);
		expect(frame()).toContain('\\u009b2J\\u009d0;owned\\u009c red\\u202e');
	});

	it('Ctrl-C clears the line, then on an empty line shows how to quit', async () => {
		const {until, type} = await screen();
		type('agent_ping');
		await until(text => promptLine(text) === '(virtagent) agent_ping', 'typed');
		type('\u0003');
		await until(text => promptLine(text) === '(virtagent)', 'cleared');
		type('\u0003');
		await until(text => text.includes(quitHint), 'the hint');
		type('a');
		await until(text => !text.includes(quitHint), 'the hint gone');
	});
});

describe('startInteractive', () => {
	async function started(history: string) {
		const agent = await session();
		const {dir, remove} = tempDir('va-ui-');
		cleanups.push(remove);
		const historyFile = path.join(dir, 'history');
		writeFileSync(historyFile, history);
		const stdin = new FakeStdin();
		const stdout = new FakeStdout();
		const exitCode = startInteractive(agent.session, {
			historyFile,
			stdin: stdin as unknown as NodeJS.ReadStream,
			stdout,
			patchConsole: false,
		});
		await waitFor(() => stdout.written.includes('(virtagent)'), 5000, 'the prompt');
		return {agent, stdin, stdout, historyFile, exitCode};
	}

	it('quit ends it with 0 and the history file holds the lines, once each, without the quit', async () => {
		const {agent, stdin, historyFile, exitCode} = await started('agent_capabilities\n');
		stdin.write('agent_ping\r');
		await waitFor(() => agent.executed.length === 1, 5000, 'agent_ping');
		stdin.write('agent_ping\r');
		await waitFor(() => agent.executed.length === 2, 5000, 'agent_ping again');
		stdin.write('quit\r');
		await expect(exitCode).resolves.toBe(0);
		// Up+Enter in the next run must not quit it.
		expect(readFileSync(historyFile, 'utf8')).toBe('agent_capabilities\nagent_ping\n');
		expect(agent.executed).toEqual(['agent_ping', 'agent_ping', 'quit']);
	});

	it('quit with a comment after it ends it too (the session says quit was run)', async () => {
		const {agent, stdin, exitCode} = await started('');
		stdin.write('quit # done for today\r');
		await expect(exitCode).resolves.toBe(0);
		expect(agent.executed).toEqual(['quit # done for today']);
	});

	it('starts from the session model: the hello and negotiation before the screen are counted', async () => {
		const {agent, stdout, stdin, exitCode} = await started('');
		// The guest called va.hello and the host called system.listMethods before the screen ran.
		expect(agent.session.model.server.done).toBeGreaterThanOrEqual(1);
		await waitFor(() => /server\s+IDLE\s+queue 0\/1\s+done [1-9]/u.test(stdout.written), 5000, 'the server panel counting the hello');
		stdin.write('quit\r');
		await expect(exitCode).resolves.toBe(0);
	});

	it('a second Ctrl-C on an empty line ends it, and Ctrl-D does too', async () => {
		const first = await started('');
		first.stdin.write('\u0003');
		await tick();
		first.stdin.write('\u0003');
		await expect(first.exitCode).resolves.toBe(0);

		const second = await started('');
		second.stdin.write('agent_p');
		await tick();
		second.stdin.write('\u0004');
		await tick(50);
		// Ctrl-D on a line with text deletes forward (nothing here): still running.
		second.stdin.write('\u0015');
		await tick();
		second.stdin.write('\u0004');
		await expect(second.exitCode).resolves.toBe(0);
	});
});
