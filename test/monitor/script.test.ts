import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {runScript, type ScriptOptions} from '../../src/monitor/script.js';
import {allCommands} from '../../commands/index.js';
import type {Session} from '../../src/monitor/session.js';
import {openSession} from '../../src/monitor/open-session.js';
import {tempDir} from '../helpers/socket-pair.js';
import {startFakeGuest, type FakeGuestOptions} from './helpers/fake-guest.js';
import {startRawGuest} from './helpers/raw-guest.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

async function scripted(guestOptions: Omit<FakeGuestOptions, 'socketPath'> = {}, timeoutMs = 2000): Promise<{session: Session; dir: string}> {
	const {dir, remove} = tempDir('va-script-');
	cleanups.push(remove);
	const socketPath = path.join(dir, 'va.sock');
	const guest = await startFakeGuest({socketPath, ...guestOptions});
	cleanups.push(async () => guest.close());
	const session = await openSession({
		commands: allCommands,
		target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}},
		timeoutMs,
		waitForGuest: true,
		wireTap: true,
	});
	cleanups.push(async () => session.close());
	return {session, dir};
}

type Run = {code: number; stdout: string[]; stderr: string[]};

async function run(session: Session, source: string[], options: Partial<ScriptOptions> = {}): Promise<Run> {
	const stdout: string[] = [];
	const stderr: string[] = [];
	const code = await runScript(session, source, {...options, stdout: text => stdout.push(text), stderr: text => stderr.push(text)});
	return {code, stdout, stderr};
}

describe('scripted mode', () => {
	it('runs commands in order, one result each, comments allowed; exit 0 when all succeed', async () => {
		const {session} = await scripted({files: {'/etc/hostname': Buffer.from('guest01')}});
		const result = await run(session, ['# a check of the guest', 'agent_ping; agent_viewfile /etc/hostname # its name', 'agent_shutdown halt', 'agent_ping']);
		expect(result).toEqual({code: 0, stdout: ['ok', 'guest01', 'the guest agent accepted halt', 'ok'], stderr: []});
	});

	it('prints errors on stderr, goes on, and exits 1', async () => {
		const {session} = await scripted();
		const result = await run(session, ['agent_viewfile /nope; agent_pnig; agent_ping']);
		expect(result.code).toBe(1);
		expect(result.stdout).toEqual(['ok']);
		expect(result.stderr).toEqual([
			'error: RPCFailed (fault -500): agent_viewfile /nope: open failed: /nope: No such file or directory',
			"unknown command: 'agent_pnig' (did you mean agent_ping?)",
		]);
	});

	it('-e stops at the first error', async () => {
		const {session} = await scripted();
		const result = await run(session, ['agent_ping; agent_viewfile; agent_ping'], {stopOnError: true});
		expect(result).toEqual({code: 1, stdout: ['ok'], stderr: ['agent_viewfile: string expected']});
	});

	it('quit stops the script', async () => {
		const {session} = await scripted();
		const result = await run(session, ['agent_ping', 'quit', 'agent_ping']);
		expect(result).toEqual({code: 0, stdout: ['ok'], stderr: []});
	});

	it('--json: one QMP-shaped line per command, with its position and text (docs/JSON.md)', async () => {
		const {session} = await scripted({dmesg: 'boot\u009B2J\n'});
		const result = await run(
			session,
			['agent_ping; agent_capabilities; agent_viewdmesg; agent_shutdown reboot; agent_viewfile /x; agent_viewfile; agent_pnig'],
			{json: true},
		);
		expect(result.code).toBe(1);
		expect(result.stdout.map(line => JSON.parse(line) as unknown)).toEqual([
			{id: 1, command: 'agent_ping', return: {}},
			{
				id: 2,
				command: 'agent_capabilities',
				return: {methods: ['system.listMethods', 'va.capabilities', 'va.getdmesg', 'va.getfile', 'va.ping', 'va.shutdown']},
			},
			{id: 3, command: 'agent_viewdmesg', return: {size: 9, text: 'boot\u009B2J\n'}},
			{id: 4, command: 'agent_shutdown reboot', return: {mode: 'reboot'}},
			{
				id: 5,
				command: 'agent_viewfile /x',
				error: {
					class: 'RPCFailed',
					desc: 'open failed: /x: No such file or directory',
					data: {code: -500, message: 'open failed: /x: No such file or directory'},
				},
			},
			{id: 6, command: 'agent_viewfile', error: {class: 'InvalidParameter', desc: 'agent_viewfile: string expected'}},
			{id: 7, command: 'agent_pnig', error: {class: 'CommandNotFound', desc: "unknown command: 'agent_pnig' (did you mean agent_ping?)"}},
		]);
		// The C1 control is escaped in the line itself, not only valid JSON.
		expect(result.stdout[2]).toBe(String.raw`{"id":3,"command":"agent_viewdmesg","return":{"size":9,"text":"boot\u009b2J\n"}}`);
		expect(result.stderr).toEqual([]);
	});

	it('-t shows the time each command took, -l logs commands and results', async () => {
		const {session, dir} = await scripted();
		const logFile = path.join(dir, 'monitor.log');
		const result = await run(session, ['agent_ping; agent_viewfile /x'], {timing: true, logFile});
		expect(result.stderr.filter(line => line.startsWith('['))).toEqual([
			expect.stringMatching(/^\[agent_ping: \d+\.\d ms\]$/u),
			expect.stringMatching(/^\[agent_viewfile \/x: \d+\.\d ms\]$/u),
		]);
		const log = readFileSync(logFile, 'utf8').split('\n');
		expect(log).toEqual([
			expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z > agent_ping$/u),
			'ok',
			expect.stringMatching(/Z > agent_viewfile \/x$/u),
			'error: RPCFailed (fault -500): agent_viewfile /x: open failed: /x: No such file or directory',
			'',
		]);
	});

	it('-t with --json puts "ms" into each line, not on stderr', async () => {
		const {session} = await scripted();
		const result = await run(session, ['agent_ping; agent_viewfile /x'], {json: true, timing: true});
		expect(result.stderr).toEqual([]);
		const lines = result.stdout.map(line => JSON.parse(line) as Record<string, unknown>);
		expect(lines).toEqual([
			{id: 1, command: 'agent_ping', return: {}, ms: expect.any(Number) as unknown},
			{id: 2, command: 'agent_viewfile /x', error: expect.objectContaining({class: 'RPCFailed'}) as unknown, ms: expect.any(Number) as unknown},
		]);
		expect(lines.every(line => (line.ms as number) >= 0)).toBe(true);
	});

	it('-v shows the frames on the wire, escaped', async () => {
		const {session} = await scripted();
		const result = await run(session, ['agent_ping'], {verbose: true});
		expect(result.stdout).toEqual(['ok']);
		const wire = result.stderr.filter(line => line.startsWith('>>') || line.startsWith('<<'));
		expect(wire.some(line => /^>> request tag=\S+ .*<methodName>va\.ping<\/methodName>/u.test(line))).toBe(true);
		expect(wire.some(line => /^<< response tag=\S+ .*<string>dummy<\/string>/u.test(line))).toBe(true);
		expect(wire.some(line => /^<< request tag=\S+ .*va\.hello/u.test(line))).toBe(true);
		expect(result.stderr.join('\n')).not.toMatch(/[\u0000-\u0008\u000B-\u001F]/u);
	});

	it('a guest that never answers the handshake: the command fails with ETIMEDOUT, bounded by its timeout', async () => {
		const {dir, remove} = tempDir('va-script-');
		cleanups.push(remove);
		const socketPath = path.join(dir, 'va.sock');
		const guest = await startRawGuest(socketPath, () => 'never');
		cleanups.push(async () => guest.close());
		const session = await openSession({
			commands: allCommands,
			target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}},
			timeoutMs: 300,
			waitForGuest: true,
		});
		cleanups.push(async () => session.close());
		const started = Date.now();
		const result = await run(session, ['agent_ping'], {json: true, timeoutMs: 300});
		expect(Date.now() - started).toBeLessThan(1500);
		expect(result.code).toBe(1);
		expect(JSON.parse(result.stdout[0]!)).toEqual({
			id: 1,
			command: 'agent_ping',
			error: {
				class: 'VirtagentFailed',
				desc: 'the guest agent did not complete the handshake within 300ms',
				data: {code: 'ETIMEDOUT', message: 'the guest agent did not complete the handshake within 300ms'},
			},
		});
		expect(guest.methodsCalled).toContain('va.capabilities');
	});

	it('no guest at all: fails at once, saying the socket is missing; --wait waits, bounded', async () => {
		const {dir, remove} = tempDir('va-script-');
		cleanups.push(remove);
		const session = await openSession({
			commands: allCommands,
			target: {mode: 'connect', endpoint: {kind: 'unix', path: path.join(dir, 'nobody.sock')}},
			timeoutMs: 300,
			waitForGuest: true,
			retryMinMs: 50,
		});
		cleanups.push(async () => session.close());
		const result = await run(session, ['help', 'agent_ping', 'agent_ping'], {timeoutMs: 300});
		expect(result.code).toBe(1);
		expect(result.stdout[0]).toMatch(/^agent_viewfile /u);
		expect(result.stderr).toEqual([
			`error: VirtagentFailed (ENOTCONN): no such socket: ${dir}/nobody.sock (is the guest running? --wait SECONDS waits for it)`,
		]);
		const waited = await run(session, ['agent_ping'], {timeoutMs: 300, waitMs: 400});
		expect(waited.stderr).toEqual([expect.stringMatching(/^error: VirtagentFailed \(ENOTCONN\): no such socket: .*nobody\.sock \(waited 400ms\)$/u)]);
	});
});
