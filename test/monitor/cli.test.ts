import {spawn} from 'node:child_process';
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
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

describe('virtagent monitor against a real guest daemon', () => {
	it('ends quietly with 0 when its reader goes away (monitor -c … | head)', async () => {
		const dir = scratch();
		writeFileSync(path.join(dir, 'big'), 'line of text\n'.repeat(50_000));
		const {socketPath} = await realGuest(dir);
		const child = spawn(process.execPath, [binPath, 'monitor', '--connect', socketPath, '-c', `agent_viewfile ${dir}/big; agent_viewfile ${dir}/big`], {stdio: ['ignore', 'pipe', 'pipe']});
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
		const run = await runCli(['monitor', '--connect', socketPath, '--json', '-c', `agent_ping; agent_capabilities; agent_viewfile ${dir}/hostname; agent_viewfile "${dir}/blob"; agent_viewdmesg; agent_shutdown reboot; agent_viewfile ${dir}/none`]);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(1);
		const lines = run.stdout.trim().split('\n').map(line => JSON.parse(line) as {return?: unknown; error?: {class: string; data: {code: number}}});
		expect(lines).toHaveLength(7);
		expect(lines[0]).toEqual({return: {}});
		expect(lines[1]!.return).toEqual(expect.arrayContaining(['va.ping', 'va.getfile', 'va.getdmesg', 'va.shutdown', 'va.capabilities', 'system.listMethods']));
		expect(lines[2]).toEqual({return: 'guest01\n'});
		expect(lines[3]).toEqual({return: {bytes: 4, base64: 'AAH+/w=='}});
		expect(lines[4]!.return).toMatch(/^\[ {4}0\.1\] [^\n]*red[^ \n]* [^\n]*c\n$/u);
		expect(lines[5]).toEqual({return: {}});
		expect(lines[6]!.error).toMatchObject({class: 'RPCFailed', data: {code: -500}});
		expect(run.stdout).not.toMatch(/[\u001B\u009B]/u);
		await waitFor(() => existsSync(marker), 5000, 'the harmless shutdown command');
		expect(readFileSync(marker, 'utf8')).toBe('reboot');
	});

	it('reads piped stdin one command a line, with comments; human output; -e stops at the first error', async () => {
		const dir = scratch();
		writeFileSync(path.join(dir, 'motd'), 'welcome\n');
		const {socketPath} = await realGuest(dir);
		const script = `# check the guest\nagent_ping\nagent_viewfile ${dir}/motd # the banner\nagent_shutdown sideways\nagent_ping\n`;
		const all = await runCli(['monitor', '--connect', socketPath], script);
		expect(all).toEqual({code: 1, stdout: 'ok\nwelcome\nok\n', stderr: "agent_shutdown: invalid shutdown type 'sideways' (expected halt, powerdown or reboot)\n"});
		const stopped = await runCli(['monitor', '--connect', socketPath, '-e'], script);
		expect(stopped).toEqual({code: 1, stdout: 'ok\nwelcome\n', stderr: "agent_shutdown: invalid shutdown type 'sideways' (expected halt, powerdown or reboot)\n"});
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
	it('starts a guest daemon and the monitor; cleans up after itself', async () => {
		const run = await runCli(['demo', '-c', 'agent_ping; agent_shutdown halt; info agent']);
		expect(run.code).toBe(0);
		const banner = /^virtagent demo: a guest daemon \(pid (\d+)\) on (\S+), the monitor connected to it\.\nagent_shutdown is harmless here/mu.exec(run.stderr);
		expect(banner).not.toBeNull();
		expect(run.stdout).toMatch(/^ok\nchannel: unix:\S+va\.sock\nconnection: connected since /u);
		expect(existsSync(path.dirname(banner![2]!))).toBe(false);
		expect(() => process.kill(Number(banner![1]), 0)).toThrow();
	});
});
