import {spawn} from 'node:child_process';
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, it} from 'vitest';
import {allCommands} from '../../commands/index.js';
import {usage} from '../../src/monitor/command.js';
import {tempDir, waitFor} from '../helpers/socket-pair.js';
import {binPath, ensureBuilt, runCli, startCli, type Child} from './helpers/cli.js';
import {startFakeGuest} from './helpers/fake-guest.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

beforeAll(() => {
	ensureBuilt();
}, 60_000);

function scratch(): string {
	const {dir, remove} = tempDir('va-cli-');
	cleanups.push(remove);
	return dir;
}

/** A real `virtagent guest` daemon on a UNIX socket, with a shutdown command that only writes a file. */
async function realGuest(dir: string, extra: readonly string[] = []): Promise<{socketPath: string; marker: string; guest: Child}> {
	const socketPath = path.join(dir, 'va.sock');
	const marker = path.join(dir, 'shutdown-ran');
	const shutdownCommand = `'${process.execPath}' -e 'require("fs").writeFileSync(process.argv[1], process.argv[2])' '${marker}' {mode}`;
	const guest = startCli(['guest', '--channel', 'unix-listen', '--path', socketPath, '--shutdown-command', shutdownCommand, '--shutdown-delay', '0', ...extra]);
	cleanups.push(async () => guest.stop());
	await waitFor(() => existsSync(socketPath), 5000, `the guest daemon's socket; stderr:\n${guest.stderr()}`);
	return {socketPath, marker, guest};
}

describe('virtagent monitor: options', () => {
	it('monitor --help lists every command as it declares itself', async () => {
		const help = await runCli(['monitor', '--help']);
		expect(help.code).toBe(0);
		for (const command of allCommands) {
			expect(help.stdout).toContain(`\n  ${usage(command)}\n`);
		}

		expect(help.stdout).toContain('\n  agent_shutdown halt|powerdown|reboot\n');
		expect(help.stdout).toContain('\n  timeout seconds command [args]\n');
	});

	it('--help exits 0; a bad option or no target is one line and exit 2', async () => {
		const help = await runCli(['monitor', '--help']);
		expect(help.code).toBe(0);
		expect(help.stdout).toMatch(/^usage: virtagent monitor \(--connect PATH \| --listen PATH \| --tcp HOST:PORT/u);
		const bad = await runCli(['monitor', '--connect', '/x', '--bogus']);
		expect(bad).toEqual({code: 2, stdout: '', stderr: "virtagent monitor: Unknown option '--bogus' (try --help)\n"});
		const none = await runCli(['monitor', '-c', 'agent_ping']);
		expect(none.code).toBe(2);
		expect(none.stderr.trim().split('\n')).toHaveLength(1);
		const tcp = await runCli(['monitor', '--tcp', 'nohost']);
		expect(tcp).toMatchObject({code: 2, stderr: "virtagent monitor: invalid TCP address 'nohost' (expected HOST:PORT) (try --help)\n"});
	});
});

describe('virtagent monitor: options an operator expects', () => {
	it('--version prints the version; --help states the --timeout and --wait limits', async () => {
		const version = await runCli(['monitor', '--version']);
		expect(version).toEqual({code: 0, stdout: expect.stringMatching(/^virtagent \d+\.\d+\.\d+\n$/u) as unknown, stderr: ''});
		const help = await runCli(['monitor', '--help']);
		expect(help.stdout).toMatch(/--timeout SECONDS +each command's deadline: more than 0, at most 3600 \(default 5\)/u);
		expect(help.stdout).toMatch(/--wait SECONDS +scripted: wait up to this long for the guest to appear/u);
		const bad = await runCli(['monitor', '--connect', '/x', '--timeout', '0']);
		expect(bad).toMatchObject({code: 2, stderr: "virtagent monitor: invalid --timeout '0' (seconds, more than 0 to 3600) (try --help)\n"});
	});

	it('scripted, a missing socket fails at once with "no such socket" instead of retrying', async () => {
		const dir = scratch();
		const started = Date.now();
		const run = await runCli(['monitor', '--connect', `${dir}/nonexistent.sock`, '--timeout', '30', '-c', 'agent_ping; agent_ping']);
		expect(run).toEqual({
			code: 1,
			stdout: '',
			stderr: `error: VirtagentFailed (ENOTCONN): no such socket: ${dir}/nonexistent.sock (is the guest running? --wait SECONDS waits for it)\n`,
		});
		// Well under the 30 s timeout: nothing retried.
		expect(Date.now() - started).toBeLessThan(10_000);
		const json = await runCli(['monitor', '--connect', `${dir}/nonexistent.sock`, '--json', '-c', 'help; agent_ping']);
		const lines = json.stdout
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as Record<string, unknown>);
		expect(lines[0]).toMatchObject({id: 1, command: 'help'});
		expect(lines[1]).toEqual({
			id: 2,
			command: 'agent_ping',
			error: {
				class: 'VirtagentFailed',
				desc: expect.stringMatching(/^no such socket: /u) as unknown,
				data: {code: 'ENOTCONN', message: expect.any(String) as unknown},
			},
		});
		expect(json.code).toBe(1);
	});

	it('--wait SECONDS waits for a guest that comes up later', async () => {
		const dir = scratch();
		const monitor = startCli(['monitor', '--connect', path.join(dir, 'va.sock'), '--wait', '20', '-c', 'agent_ping']);
		cleanups.push(async () => monitor.stop());
		await new Promise(resolve => setTimeout(resolve, 700));
		expect(monitor.child.exitCode).toBeNull();
		await realGuest(dir);
		await monitor.waitForOutput(/^ok\n$/u, 10_000);
		await new Promise(resolve => monitor.child.once('exit', resolve));
		expect(monitor.child.exitCode).toBe(0);
		expect(monitor.stderr()).toBe('');
	});
});

describe('virtagent monitor against a real guest daemon', () => {
	it('-c "info agent" reports the negotiated guest, never "connecting"', async () => {
		const dir = scratch();
		const {socketPath} = await realGuest(dir);
		const run = await runCli(['monitor', '--connect', socketPath, '-c', 'info agent']);
		expect(run.code).toBe(0);
		expect(run.stdout).toMatch(/^channel: unix:\S+\nconnection: connected since .*\nprotocol: virtagent\nhello: .*\nversion: 1\.0\nmethods: \d+: /u);
	});

	it('ends quietly with 0 when its reader goes away (monitor -c … | head)', async () => {
		const dir = scratch();
		writeFileSync(path.join(dir, 'big'), 'line of text\n'.repeat(50_000));
		const {socketPath} = await realGuest(dir);
		const child = spawn(process.execPath, [binPath, 'monitor', '--connect', socketPath, '-c', `agent_viewfile ${dir}/big; agent_viewfile ${dir}/big`], {
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let stderr = '';
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
		// Like `head -c 100`: read a little, then close the pipe.
		child.stdout.once('data', () => {
			child.stdout.destroy();
		});
		const code = await new Promise<number | null>(resolve => child.once('exit', resolve));
		expect(stderr).toBe('');
		expect(code).toBe(0);
	});

	it('runs -c commands with --json: ping, capabilities, files, dmesg, a harmless shutdown', async () => {
		const dir = scratch();
		writeFileSync(path.join(dir, 'hostname'), 'guest01\n');
		writeFileSync(path.join(dir, 'blob'), Buffer.from([0x00, 0x01, 0xfe, 0xff]));
		const {socketPath, marker} = await realGuest(dir, ['--dmesg-command', String.raw`printf '[    0.1] \033[31mred\033[0m \302\233c\n'`]);
		const run = await runCli([
			'monitor',
			'--connect',
			socketPath,
			'--json',
			'-c',
			`agent_ping; agent_capabilities; agent_viewfile ${dir}/hostname; agent_viewfile "${dir}/blob"; agent_viewdmesg; agent_shutdown reboot; agent_viewfile ${dir}/none`,
		]);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(1);
		const lines = run.stdout
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as {id: number; command: string; return?: Record<string, unknown>; error?: {class: string; data: {code: number}}});
		expect(lines).toHaveLength(7);
		expect(lines.map(line => line.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
		expect(lines[0]).toEqual({id: 1, command: 'agent_ping', return: {}});
		expect(lines[1]!.return!.methods).toEqual(
			expect.arrayContaining(['va.ping', 'va.getfile', 'va.getdmesg', 'va.shutdown', 'va.capabilities', 'system.listMethods']),
		);
		expect(lines[2]).toEqual({
			id: 3,
			command: `agent_viewfile ${dir}/hostname`,
			return: {path: `${dir}/hostname`, size: 8, base64: 'Z3Vlc3QwMQo=', text: 'guest01\n'},
		});
		expect(lines[3]).toEqual({id: 4, command: `agent_viewfile "${dir}/blob"`, return: {path: `${dir}/blob`, size: 4, base64: 'AAH+/w=='}});
		expect(lines[4]!.return!.text).toMatch(/^\[ {4}0\.1\] [^\n]*red[^ \n]* [^\n]*c\n$/u);
		expect(lines[5]).toEqual({id: 6, command: 'agent_shutdown reboot', return: {mode: 'reboot'}});
		expect(lines[6]!.error).toMatchObject({class: 'RPCFailed', data: {code: -500}});
		expect(run.stdout).not.toMatch(/[\u001B\u009B]/u);
		// The file exists a moment before its one write lands: wait for the content.
		await waitFor(() => existsSync(marker) && readFileSync(marker, 'utf8') !== '', 5000, 'the harmless shutdown command');
		expect(readFileSync(marker, 'utf8')).toBe('reboot');
	});

	it('reads piped stdin one command a line, with comments; human output; -e stops at the first error', async () => {
		const dir = scratch();
		writeFileSync(path.join(dir, 'motd'), 'welcome\n');
		const {socketPath} = await realGuest(dir);
		const script = `# check the guest\nagent_ping\nagent_viewfile ${dir}/motd # the banner\nagent_shutdown sideways\nagent_ping\n`;
		const all = await runCli(['monitor', '--connect', socketPath], script);
		expect(all).toEqual({
			code: 1,
			stdout: 'ok\nwelcome\nok\n',
			stderr: "agent_shutdown: invalid shutdown type 'sideways' (expected halt, powerdown or reboot)\n",
		});
		const stopped = await runCli(['monitor', '--connect', socketPath, '-e'], script);
		expect(stopped).toEqual({
			code: 1,
			stdout: 'ok\nwelcome\n',
			stderr: "agent_shutdown: invalid shutdown type 'sideways' (expected halt, powerdown or reboot)\n",
		});
		const fine = await runCli(['monitor', '--connect', socketPath, '-c', 'agent_ping; quit; agent_viewfile /nope']);
		expect(fine).toEqual({code: 0, stdout: 'ok\n', stderr: ''});
	});

	it('reconnects after the guest daemon restarts; the next command waits for the new guest', async () => {
		const dir = scratch();
		const first = await realGuest(dir);
		const monitor = startCli(['monitor', '--connect', first.socketPath, '--timeout', '3']);
		cleanups.push(async () => monitor.stop());
		monitor.child.stdin!.write('agent_ping\n');
		await monitor.waitForOutput(/^ok\n$/u);
		await first.guest.stop();
		const second = await realGuest(dir);
		monitor.child.stdin!.write('agent_ping\n');
		await monitor.waitForOutput(/^ok\nok\n$/u, 8000);
		expect(second.socketPath).toBe(first.socketPath);
		monitor.child.stdin!.end();
		await new Promise(resolve => monitor.child.once('exit', resolve));
		expect(monitor.child.exitCode).toBe(0);
	});
});

describe('virtagent monitor against a hostile guest', () => {
	it('a guest that never answers: ETIMEDOUT on the command, exit 1, -t and -v on stderr', async () => {
		const dir = scratch();
		const socketPath = path.join(dir, 'va.sock');
		const guest = await startFakeGuest({socketPath, hang: ['va.ping']});
		cleanups.push(async () => guest.close());
		const run = await runCli(['monitor', '--connect', socketPath, '--timeout', '0.3', '-t', '-v', '-c', 'agent_ping']);
		expect(run.code).toBe(1);
		expect(run.stdout).toBe('');
		expect(run.stderr).toContain('error: VirtagentFailed (ETIMEDOUT): va.ping timed out after 300ms\n');
		expect(run.stderr).toMatch(/^\[agent_ping: \d+\.\d ms\]$/mu);
		expect(run.stderr).toMatch(/^>> request tag=\S+ .*va\.ping/mu);
	});
});

describe('virtagent demo', () => {
	it('rejects a bad option before it starts a guest', async () => {
		const run = await runCli(['demo', '--bogus']);
		expect(run).toEqual({code: 2, stdout: '', stderr: "virtagent demo: Unknown option '--bogus' (try --help)\n"});
		const version = await runCli(['demo', '--version']);
		expect(version.stdout).toMatch(/^virtagent \d/u);
	});

	it('removes its temporary folder and stops its guest on SIGHUP', async () => {
		const tmp = scratch();
		const child = spawn(process.execPath, [binPath, 'demo'], {stdio: ['pipe', 'pipe', 'pipe'], env: {...process.env, TMPDIR: tmp}});
		let stderr = '';
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
		await waitFor(() => /guest daemon pid \d+ on /u.test(stderr), 10_000, `the demo's banner; stderr:\n${stderr}`);
		const guestPid = Number(/pid (\d+)/u.exec(stderr)![1]);
		expect(readdirSync(tmp)).toHaveLength(1);
		child.kill('SIGHUP');
		const code = await new Promise<number | null>(resolve => child.once('exit', resolve));
		expect(code).toBe(129);
		expect(readdirSync(tmp)).toEqual([]);
		await waitFor(
			() => {
				try {
					process.kill(guestPid, 0);
					return false;
				} catch {
					return true;
				}
			},
			5000,
			'the demo guest to end',
		);
	});

	it('starts a guest daemon and the monitor; cleans up after itself', async () => {
		const run = await runCli(['demo', '-c', 'agent_ping; agent_shutdown halt; info agent']);
		expect(run.code).toBe(0);
		const banner = /^virtagent demo: guest daemon pid (\d+) on (\S+)\nThe monitor is connected to it; agent_shutdown is harmless here\.$/mu.exec(run.stderr);
		// Each banner line fits an 80-column terminal (the socket path is the demo's own).
		expect(
			run.stderr
				.split('\n')
				.slice(0, 3)
				.every(line => line.length <= 80),
		).toBe(true);
		expect(banner).not.toBeNull();
		expect(run.stdout).toMatch(/^ok\nthe guest agent accepted halt\nchannel: unix:\S+va\.sock\nconnection: connected since /u);
		expect(existsSync(path.dirname(banner![2]!))).toBe(false);
		expect(() => process.kill(Number(banner![1]), 0)).toThrow();
	});

	it('offers the fleet words for its one guest too (guests, @all)', async () => {
		const run = await runCli(['demo', '-c', 'guests; @all agent_ping']);
		expect(run.code).toBe(0);
		expect(run.stdout).toMatch(/^ {2}name +protocol +connection .*\n {2}va\.sock +virtagent +ready /mu);
		expect(run.stdout).toMatch(/^va\.sock: ok\n1 ok$/mu);
	});
});
