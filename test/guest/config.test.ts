import {spawn} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {RpcFaultError} from '../../src/engine/errors.js';
import {parseGuestArgs, UsageError} from '../../src/guest/options.js';
import {tempDir} from '../helpers/socket-pair.js';
import {connectHost, guestCommand, makeHost, startGuest, waitFor, type GuestProcess, type Host} from './helpers.js';

async function run(args: readonly string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
	const [file, fileArgs] = guestCommand(args);
	const child = spawn(file, fileArgs, {stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', chunk => {
		stdout += String(chunk);
	});
	child.stderr.on('data', chunk => {
		stderr += String(chunk);
	});
	const code = await new Promise<number | null>(resolve => child.once('close', resolve));
	return {code, stdout, stderr};
}

async function faultOf(promise: Promise<unknown>): Promise<RpcFaultError> {
	const error = await promise.then(
		() => undefined,
		(error_: unknown) => error_,
	);
	expect(error).toBeInstanceOf(RpcFaultError);
	return error as RpcFaultError;
}

describe('parseGuestArgs (node:util parseArgs underneath, the same one-line messages)', () => {
	it.each([
		[['--path'], '--path: missing value'],
		[['--path', 'a', '--path', 'b'], '--path: given twice'],
		[['--path=a', '--path=b'], '--path: given twice'],
		[['stray'], "unexpected argument 'stray'"],
		[['-x'], "unknown option '-x'"],
		[['--frobnicate=1'], "unknown option '--frobnicate'"],
		[['--', 'x'], "unknown option '--'"],
		[
			['--block-rpcs', 'va.hello'],
			"--block-rpcs: unknown method 'va.hello' (known: system.listMethods, va.capabilities, va.getdmesg, va.getfile, va.ping, va.readfile, va.shutdown)",
		],
	])('%j → %s', (args, message) => {
		expect(() => parseGuestArgs(args)).toThrow(new UsageError(message));
	});

	it('takes values after a space or an equals sign, short and long flags, and stops at --help or --version', () => {
		const parsed = parseGuestArgs(['--channel=unix-listen', '--path', '/tmp/g.sock', '-v', '--allow-rpcs', 'va.ping, va.getfile', '--shutdown-delay', '0.5']);
		expect(parsed).toMatchObject({
			kind: 'run',
			config: {channel: 'unix-listen', path: '/tmp/g.sock', verbose: true, allowRpcs: ['va.ping', 'va.getfile'], shutdownDelayMs: 500},
		});
		expect(parseGuestArgs(['-h', '--bogus'])).toEqual({kind: 'help'});
		expect(parseGuestArgs(['--version'])).toEqual({kind: 'version'});
		expect(() => parseGuestArgs(['--bogus', '-h'])).toThrow("unknown option '--bogus'");
	});
});

describe('command line', () => {
	it.each([
		[['--channel', 'carrier-pigeon'], /^virtagent guest: --channel: unknown channel 'carrier-pigeon' \(expected virtio-serial, /],
		[['--frobnicate'], /^virtagent guest: unknown option '--frobnicate'$/],
		[['--getfile-max', 'lots'], /^virtagent guest: --getfile-max: expected an integer from 0 to 2097152, got 'lots'$/],
		[['--getfile-max=3000000'], /^virtagent guest: --getfile-max: expected an integer/],
		[['--block-rpcs', 'va.ping,va.teleport'], /^virtagent guest: --block-rpcs: unknown method 'va\.teleport'/],
		[['--shutdown-delay', '-1'], /^virtagent guest: --shutdown-delay: expected seconds/],
		[['--shutdown-command', 'echo "unfinished'], /^virtagent guest: --shutdown-command: unterminated double quote$/],
		[['--channel', 'unix-listen'], /^virtagent guest: --path: required with --channel unix-listen$/],
		[['--channel', 'tcp-listen', '--path', 'nowhere'], /^virtagent guest: --path: invalid TCP address 'nowhere'/],
		[['--pidfile'], /^virtagent guest: --pidfile: missing value$/],
		[['--baud', '9600'], /^virtagent guest: --baud: only for --channel isa-serial$/],
	])('%j: one line naming the option, exit code 2', async (args, message) => {
		const result = await run(args);
		expect(result.code).toBe(2);
		expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
		expect(result.stderr.trimEnd()).toMatch(message);
	});

	it('--version and --help print to stdout and exit 0', async () => {
		const [version, help] = await Promise.all([run(['--version']), run(['--help'])]);
		expect(version).toMatchObject({code: 0, stdout: 'virtagent 1.0.0\n'});
		expect(help.code).toBe(0);
		for (const option of [
			'--channel',
			'--path',
			'--allow-rpcs',
			'--block-rpcs',
			'--getfile-max',
			'--shutdown-command',
			'--shutdown-delay',
			'--pidfile',
			'--verbose',
		]) {
			expect(help.stdout).toContain(option);
		}
	});

	it('a port that does not exist: a clear error, exit code 1', async () => {
		const result = await run(['--path', '/nonexistent/virtio-ports/org.qemu.virtagent']);
		expect(result.code).toBe(1);
		expect(result.stderr).toMatch(/ err: cannot start: virtio-serial:\/nonexistent\/virtio-ports\/org\.qemu\.virtagent: ENOENT/);
	});
});

describe('allow and block lists, getfile cap, dmesg source', () => {
	const temp = tempDir('va-guest-config-');
	const guests: GuestProcess[] = [];
	const hosts: Host[] = [];
	const dmesgFile = path.join(temp.dir, 'kernel.log');
	// More than 16 KiB, with colour escapes as real dmesg output has.
	const dmesgLines = Array.from({length: 600}, (_, i) => `[${String(i).padStart(5)}.000000] \u001b[33mline ${i}\u001b[0m of the log`);

	async function guestWithHost(args: readonly string[]): Promise<Host> {
		const socketPath = path.join(temp.dir, `g${guests.length}.sock`);
		const guest = startGuest(['--channel', 'unix-listen', '--path', socketPath, '--shutdown-command', 'true', ...args]);
		guests.push(guest);
		const host = makeHost();
		hosts.push(host);
		await connectHost(host, socketPath);
		await waitFor(() => host.hellos === 1);
		return host;
	}

	let blocked: Host;
	let allowed: Host;
	let capped: Host;
	beforeAll(async () => {
		writeFileSync(dmesgFile, dmesgLines.join('\n') + '\n');
		[blocked, allowed, capped] = await Promise.all([
			guestWithHost(['--block-rpcs', 'va.shutdown,va.getfile']),
			guestWithHost(['--allow-rpcs', 'va.ping,va.capabilities,system.listMethods,va.shutdown', '--block-rpcs', 'va.shutdown']),
			guestWithHost(['--getfile-max', '10', '--dmesg-command', `cat '${dmesgFile}'`]),
		]);
	});

	afterAll(async () => {
		for (const host of hosts) {
			host.close();
		}

		expect(await Promise.all(guests.map(async guest => guest.stop()))).toEqual(guests.map(() => 0));
		temp.remove();
	});

	it('--block-rpcs: those answer fault -508 and are absent from va.capabilities and system.listMethods', async () => {
		const methods = ['system.listMethods', 'va.capabilities', 'va.getdmesg', 'va.ping', 'va.readfile'];
		expect(await blocked.agent.call('va.capabilities')).toEqual({version: '1.0', methods, limits: {serverQueue: 1, body: 2 * 1024 * 1024}});
		expect(await blocked.agent.call('system.listMethods')).toEqual(methods);
		const error = await faultOf(blocked.agent.call('va.getfile', ['/etc/hostname']));
		expect(error.code).toBe(-508);
		expect((await faultOf(blocked.agent.call('va.shutdown', ['halt']))).code).toBe(-508);
	});

	it('--allow-rpcs: only those, minus the blocked ones', async () => {
		expect(await allowed.agent.call('system.listMethods')).toEqual(['system.listMethods', 'va.capabilities', 'va.ping']);
		expect((await faultOf(allowed.agent.call('va.getdmesg'))).code).toBe(-508);
		expect((await faultOf(allowed.agent.call('va.shutdown', ['halt']))).code).toBe(-508);
		expect(await allowed.agent.call('va.ping')).toBe('dummy');
	});

	it('--getfile-max caps va.getfile below the body limit', async () => {
		const file = path.join(temp.dir, 'eleven');
		writeFileSync(file, 'eleven byte');
		expect((await faultOf(capped.agent.call('va.getfile', [file]))).faultString).toBe('file too large: 11 bytes (limit 10)');
		writeFileSync(file, 'ten bytes!');
		expect(((await capped.agent.call('va.getfile', [file])) as Buffer).toString()).toBe('ten bytes!');
	});

	it('--dmesg-command: the last 16 KiB of its output, whole lines, control characters made XML-safe', async () => {
		const log = (await capped.agent.call('va.getdmesg')) as string;
		const full = dmesgLines.join('\n') + '\n';
		const expected = full.slice(full.indexOf('\n', full.length - 16 * 1024 - 1) + 1).replaceAll('\u001b', '\ufffd');
		expect(log).toBe(expected);
		// 16 KiB of the log as read; each ESC (1 byte) travels as U+FFFD (3 bytes).
		expect(Buffer.byteLength(log.replaceAll('\ufffd', '\u001b'))).toBeLessThanOrEqual(16 * 1024);
		expect(log.endsWith('line 599\ufffd[0m of the log\n')).toBe(true);
	});
});
