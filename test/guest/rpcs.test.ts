import {createHash, randomBytes} from 'node:crypto';
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {RpcFaultError} from '../../src/engine/errors.js';
import {encodeResponse} from '../../src/protocol/codec.js';
import {tempDir} from '../helpers/socket-pair.js';
import {connectHost, makeHost, startGuest, waitFor, type GuestProcess, type Host} from './helpers.js';

const bodyMax = 2 * 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function fault(promise: Promise<unknown>): Promise<RpcFaultError> {
	const error = await promise.then(
		() => undefined,
		(error_: unknown) => error_,
	);
	expect(error).toBeInstanceOf(RpcFaultError);
	return error as RpcFaultError;
}

describe('virtagent guest over a UNIX socket, driven by the engine as the host', () => {
	const temp = tempDir('va-guest-rpcs-');
	const socketPath = path.join(temp.dir, 'guest.sock');
	const recordDir = path.join(temp.dir, 'shutdowns');
	// A harmless shutdown command: records its argv (one file per run) and nothing else.
	const recorder = path.join(temp.dir, 'record.mjs');
	let guest: GuestProcess;
	let host: Host;

	beforeAll(async () => {
		mkdirSync(recordDir);
		// Written beside the folder and renamed into it: a record that is listed is complete.
		writeFileSync(
			recorder,
			`import {renameSync, writeFileSync} from 'node:fs';\nconst name = Date.now() + '-' + process.pid;\nwriteFileSync(${JSON.stringify(temp.dir)} + '/' + name, JSON.stringify({argv: process.argv.slice(2), at: Date.now()}));\nrenameSync(${JSON.stringify(temp.dir)} + '/' + name, ${JSON.stringify(recordDir)} + '/' + name);\n`,
		);
		guest = startGuest([
			'--channel',
			'unix-listen',
			'--path',
			socketPath,
			'--shutdown-command',
			`${process.execPath} ${recorder} {flag} {mode} "two words"`,
			'--shutdown-delay',
			'0.3',
		]);
		host = makeHost();
		await connectHost(host, socketPath);
	});

	afterAll(async () => {
		host.close();
		expect(await guest.stop()).toBe(0);
		temp.remove();
	});

	it('says va.hello as soon as the host is there', async () => {
		await waitFor(() => host.hellos === 1, 5000, 'va.hello');
		await guest.waitForLine(/info: va\.hello: the host answered/);
	});

	it('answers va.ping, and logs one line per RPC: method, params, result, duration (pings only counted)', async () => {
		expect(await host.agent.call('va.ping')).toBe('dummy');
		expect(await host.agent.call('va.ping', ['anything', 42])).toBe('dummy');
		const file = path.join(temp.dir, 'hostname');
		writeFileSync(file, 'guest\n');
		expect(await host.agent.call('va.getfile', [file])).toEqual(Buffer.from('guest\n'));
		await guest.waitForLine(/ info: rpc "va\.getfile"\(".*\/hostname"\) → <6 bytes> \(\d+\.\d ms\)$/);
		// Liveness calls are not a line each at info (they are counted: see port-channel.test.ts).
		expect(guest.lines.filter(line => line.includes('rpc "va.ping"'))).toEqual([]);
	});

	it('lists the same enabled methods in va.capabilities and system.listMethods', async () => {
		const capabilities = (await host.agent.call('va.capabilities')) as {version: string; methods: string[]};
		expect(capabilities.version).toBe('1.0');
		expect(capabilities.methods).toEqual(['system.listMethods', 'va.capabilities', 'va.getdmesg', 'va.getfile', 'va.ping', 'va.readfile', 'va.shutdown']);
		expect(await host.agent.call('system.listMethods')).toEqual(capabilities.methods);
	});

	it('answers an unknown method with fault -506', async () => {
		const error = await fault(host.agent.call('va.fly'));
		expect(error.code).toBe(-506);
		await guest.waitForLine(/ warning: rpc "va\.fly"\(\) → fault -506 /);
	});

	it.each([
		['0 B', 0],
		['1 B', 1],
		['1 MiB of random bytes', 1024 * 1024],
	])('va.getfile returns %s byte-exact', async (_name, size) => {
		const file = path.join(temp.dir, `file-${size}`);
		const content = randomBytes(size);
		writeFileSync(file, content);
		const value = await host.agent.call('va.getfile', [file]);
		expect(Buffer.isBuffer(value)).toBe(true);
		expect(sha256(value as Buffer)).toBe(sha256(content));
	});

	it('va.getfile sends the largest file that fits a 2 MiB reply, and faults one byte over without hurting the stream', async () => {
		// The limit comes from the fault; check it independently: M bytes fit, M + 1 do not.
		const probe = path.join(temp.dir, 'probe');
		writeFileSync(probe, Buffer.alloc(bodyMax)); // surely too large
		const tooLarge = await fault(host.agent.call('va.getfile', [probe]));
		const match = /^file too large: (\d+) bytes \(limit (\d+)\)$/.exec(tooLarge.faultString);
		expect(match, tooLarge.faultString).not.toBeNull();
		expect(Number(match![1])).toBe(bodyMax);
		const limit = Number(match![2]);
		expect(encodeResponse(Buffer.alloc(limit)).length).toBeLessThanOrEqual(bodyMax);
		expect(encodeResponse(Buffer.alloc(limit + 1)).length).toBeGreaterThan(bodyMax);

		const largest = path.join(temp.dir, 'largest');
		const content = randomBytes(limit);
		writeFileSync(largest, content);
		const value = await host.agent.call('va.getfile', [largest], {timeoutMs: 10_000});
		expect(sha256(value as Buffer)).toBe(sha256(content));

		const over = path.join(temp.dir, 'over');
		writeFileSync(over, Buffer.concat([content, Buffer.of(1)]));
		expect((await fault(host.agent.call('va.getfile', [over]))).faultString).toBe(`file too large: ${limit + 1} bytes (limit ${limit})`);
		expect(await host.agent.call('va.ping')).toBe('dummy');
	});

	it('va.getfile faults clearly for a missing file, a directory, an unreadable file and a bad parameter', async () => {
		const missing = await fault(host.agent.call('va.getfile', [path.join(temp.dir, 'nope')]));
		expect([missing.code, missing.faultString]).toEqual([-500, 'open failed: no such file or directory']);
		const directory = await fault(host.agent.call('va.getfile', [temp.dir]));
		expect([directory.code, directory.faultString]).toEqual([-500, 'open failed: is a directory']);
		// Write-only even for root (proc_sys_permission checks the mode bits).
		const unreadable = await fault(host.agent.call('va.getfile', ['/proc/sys/vm/compact_memory']));
		expect(unreadable.faultString).toBe('open failed: permission denied');
		const notString = await fault(host.agent.call('va.getfile', [42]));
		expect([notString.code, notString.faultString]).toEqual([-501, 'parameter 1 (path): string expected']);
		const none = await fault(host.agent.call('va.getfile'));
		expect(none.code).toBe(-501);
	});

	it('va.getdmesg returns the end of the real kernel log, or says clearly why it cannot', async () => {
		try {
			const log = await host.agent.call('va.getdmesg');
			expect(typeof log).toBe('string');
			expect(Buffer.byteLength(log as string)).toBeLessThanOrEqual(16 * 1024);
			expect(log).toMatch(/^\[ *\d+\.\d{6}\] /m);
		} catch (error) {
			expect(error).toBeInstanceOf(RpcFaultError);
			expect((error as RpcFaultError).faultString).toMatch(/^cannot read the kernel log: /);
		}
	});

	it('va.shutdown replies first, then runs the configured command after the delay, argv mapped per mode', async () => {
		const runs = () => (existsSync(recordDir) ? readdirSorted(recordDir) : []);
		const exits = () => guest.lines.filter(line => / notice: shutdown command exited with code 0$/.test(line)).length;
		for (const [mode, flag] of [
			['halt', '-H'],
			['powerdown', '-P'],
			['reboot', '-r'],
		] as const) {
			const exitsBefore = exits();
			const before = runs().length;
			expect(await host.agent.call('va.shutdown', [mode])).toBe('dummy');
			const repliedAt = Date.now();
			expect(runs().length).toBe(before); // nothing ran before the reply arrived
			await waitFor(() => runs().length === before + 1, 5000, `the ${mode} command`);
			const record = JSON.parse(readFileSync(path.join(recordDir, runs().at(-1)!), 'utf8')) as {argv: string[]; at: number};
			expect(record.argv).toEqual([flag, mode, 'two words']);
			expect(record.at - repliedAt).toBeGreaterThanOrEqual(200);
			// The next request must not find this one still under way.
			await waitFor(() => exits() === exitsBefore + 1, 5000, `the ${mode} command's exit`);
		}
	});

	it('va.shutdown faults an invalid mode and runs nothing', async () => {
		const count = readdirSorted(recordDir).length;
		const error = await fault(host.agent.call('va.shutdown', ['sideways']));
		expect([error.code, error.faultString]).toEqual([-501, 'invalid shutdown type: sideways']);
		expect((await fault(host.agent.call('va.shutdown'))).code).toBe(-501);
		await new Promise(resolve => setTimeout(resolve, 500)); // longer than the delay: a run would show
		expect(readdirSorted(recordDir).length).toBe(count);
	});
});

function readdirSorted(dir: string): string[] {
	return readdirSync(dir).sort();
}
