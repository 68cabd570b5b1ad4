/**
 * What each command prints and returns (docs/JSON.md), over a real session and engine against
 * a fake guest on a UNIX socket.
 */
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {allCommands} from '../../commands/index.js';
import type {Session} from '../../src/monitor/session.js';
import {openSession} from '../../src/monitor/open-session.js';
import {tempDir, waitFor} from '../helpers/socket-pair.js';
import {startFakeGuest, type FakeGuestOptions} from './helpers/fake-guest.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

async function negotiatedSession(guestOptions: Omit<FakeGuestOptions, 'socketPath'> = {}): Promise<Session> {
	const {dir, remove} = tempDir('va-commands-');
	cleanups.push(remove);
	const socketPath = path.join(dir, 'va.sock');
	const guest = await startFakeGuest({socketPath, ...guestOptions});
	cleanups.push(async () => guest.close());
	const session = await openSession({commands: allCommands, target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}}, timeoutMs: 2000});
	cleanups.push(async () => session.close());
	await waitFor(() => session.status.guest.methods !== undefined, 3000, 'negotiation');
	return session;
}

describe('names, aliases and suggestions', () => {
	it('? is help, q and exit are quit', async () => {
		const session = await negotiatedSession();
		const help = await session.execute('?');
		expect(help).toMatchObject({ok: true});
		expect(help.text).toBe((await session.execute('help')).text);
		expect(help.text).toMatch(/^help \[command\] \[topic\] -- .* \(also \?\)$/mu);
		expect(help.text).toMatch(/^quit -- .* \(also q, exit\)$/mu);
		await expect(session.execute('help q')).resolves.toMatchObject({ok: true, text: expect.stringMatching(/^quit -- /u) as unknown});
		expect(session.quitRequested).toBe(false);
		await expect(session.execute('exit')).resolves.toMatchObject({ok: true});
		expect(session.quitRequested).toBe(true);
	});

	it('q quits too', async () => {
		const session = await negotiatedSession();
		await session.execute('q');
		expect(session.quitRequested).toBe(true);
	});

	it('suggests the agent_ command for a name typed without its prefix', async () => {
		const session = await negotiatedSession();
		await expect(session.execute('ping')).resolves.toMatchObject({ok: false, text: "unknown command: 'ping' (did you mean agent_ping?)"});
		await expect(session.execute('viewfile /etc/hostname')).resolves.toMatchObject({text: "unknown command: 'viewfile' (did you mean agent_viewfile?)"});
		await expect(session.execute('pnig')).resolves.toMatchObject({text: "unknown command: 'pnig' (did you mean agent_ping?)"});
		await expect(session.execute('hlep')).resolves.toMatchObject({text: "unknown command: 'hlep' (did you mean help?)"});
		await expect(session.execute('help viewdmesg')).resolves.toMatchObject({ok: false, text: "unknown command: 'viewdmesg' (did you mean agent_viewdmesg?)"});
	});
});

describe('help and info', () => {
	it('info alone lists its topics with what each shows', async () => {
		const session = await negotiatedSession();
		const info = await session.execute('info');
		expect(info.text.split('\n')).toEqual([
			'info agent           -- the connection and the guest agent: its hello, version and methods',
			'info queues          -- the client and server job queues, with each job and its age',
			'info transitions [N] -- the latest N state transitions (default 20)',
		]);
		expect(info).toMatchObject({ok: true, value: {topics: [{name: 'agent'}, {name: 'queues'}, {name: 'transitions', params: '[N]'}]}});
	});

	it('help info lists the topics, help info agent shows one', async () => {
		const session = await negotiatedSession();
		await expect(session.execute('help info agent')).resolves.toMatchObject({
			ok: true,
			text: 'info agent -- the connection and the guest agent: its hello, version and methods',
		});
		expect((await session.execute('help info')).text.split('\n')).toHaveLength(3);
		await expect(session.execute('help info bogus')).resolves.toMatchObject({
			ok: false,
			text: "help: no info topic 'bogus' (expected agent, queues, transitions)",
		});
		await expect(session.execute('help agent_ping extra')).resolves.toMatchObject({ok: false, text: 'help: extraneous characters at the end of line'});
	});

	it('info agent and info transitions as data, with ISO 8601 times', async () => {
		const session = await negotiatedSession();
		await session.execute('agent_ping');
		const agent = await session.execute('info agent');
		const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/u;
		expect(agent).toMatchObject({
			ok: true,
			value: {
				connection: {state: 'connected', since: expect.stringMatching(isoTime) as unknown},
				hello: expect.stringMatching(isoTime) as unknown,
				version: '1.0',
			},
		});
		const transitions = await session.execute('info transitions 50');
		const {transitions: entries} = (transitions as {value: {transitions: Array<Record<string, unknown>>}}).value;
		expect(entries.length).toBeGreaterThan(3);
		expect(entries.every(entry => isoTime.test(entry.at as string))).toBe(true);
		expect(entries).toContainEqual(
			expect.objectContaining({kind: 'state', side: 'client', from: 'WAIT', to: 'IDLE', method: 'va.ping', job: expect.any(Number) as unknown}),
		);
		expect(entries).toContainEqual(expect.objectContaining({kind: 'job', side: 'client', from: 'waiting', to: 'done', method: 'va.ping'}));
		expect(entries).toContainEqual(expect.objectContaining({kind: 'channel', status: 'up', channel: expect.stringMatching(/^unix:/u) as unknown}));
	});
});

describe('no silent success', () => {
	it('an empty file and an empty kernel log each print a line', async () => {
		const session = await negotiatedSession({files: {'/empty': Buffer.alloc(0)}, dmesg: ''});
		await expect(session.execute('agent_viewfile /empty')).resolves.toMatchObject({
			ok: true,
			text: '(empty file: 0 bytes)',
			value: {path: '/empty', size: 0, base64: '', text: ''},
		});
		await expect(session.execute('agent_viewdmesg')).resolves.toMatchObject({ok: true, text: '(the kernel log is empty)', value: {size: 0, text: ''}});
	});
});

describe('file and kernel log contents', () => {
	it('keeps the CR of CRLF lines visible', async () => {
		const session = await negotiatedSession({files: {'/dos.txt': Buffer.from('one\r\ntwo\r\n')}});
		await expect(session.execute('agent_viewfile /dos.txt')).resolves.toMatchObject({text: 'one\\r\ntwo\\r\n', value: {text: 'one\r\ntwo\r\n'}});
	});

	it("shows the kernel's own escapes as the character when safe, escaped otherwise", async () => {
		const dmesg = String.raw`[    1.0] a\x09b caf\xc3\xa9 \x1b[2J back\x5cslash bad\xff` + '\n';
		const session = await negotiatedSession({dmesg});
		const outcome = await session.execute('agent_viewdmesg');
		expect(outcome.text).toBe(String.raw`[    1.0] a` + '\t' + String.raw`b café \x1b[2J back\x5cslash bad\xff` + '\n');
		expect(outcome).toMatchObject({value: {text: dmesg}});
	});

	it('shows a binary file as a bounded hexdump and says how to get all of it', async () => {
		const big = Buffer.alloc(1_400_000, 0xff);
		big.write('\u007FELF', 0, 'latin1');
		const session = await negotiatedSession({files: {'/bin/big': big}});
		const outcome = await session.execute('agent_viewfile /bin/big');
		const lines = outcome.text.split('\n');
		expect(lines[0]).toBe('00000000: 7f45 4c46 ffff ffff ffff ffff ffff ffff  .ELF............');
		expect(lines).toHaveLength(33);
		expect(lines.at(-1)).toBe('(1,400,000 bytes, binary, the first 512 shown; save it with agent_getfile GUESTPATH LOCALPATH)');
		expect(outcome.text.length).toBeLessThan(3000);
		expect(outcome).toMatchObject({value: {size: 1_400_000}});
		expect((outcome as {value: {text?: string}}).value.text).toBeUndefined();
	});
});
