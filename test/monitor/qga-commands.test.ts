/** The agent_* commands' qemu-ga mapping over the engine: the real qemu-ga (block list) and the fake. */
import {randomBytes} from 'node:crypto';
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {Agent} from '../../src/engine/agent.js';
import {RpcFaultError, VirtagentError} from '../../src/engine/errors.js';
import {MethodRegistry} from '../../src/engine/registry.js';
import type {GuestCall} from '../../src/monitor/getfile/chunk-source.js';
import {qgaDmesg, qgaInfo, qgaReadFile, qgaShutdown, requireEnabled} from '../../src/monitor/qga/commands.js';
import {connectEndpoint} from '../../src/transport/endpoint.js';
import {qgaProtocol} from '../../src/wire/qga/index.js';
import type {WireValue} from '../../src/wire/types.js';
import {startFakeQemuGa, type FakeQemuGa} from '../helpers/fake-qemu-ga.js';
import {startRealQemuGa, type RealQemuGa} from '../helpers/real-qemu-ga.js';
import {tempDir} from '../helpers/socket-pair.js';

const temp = tempDir('va-qga-commands-');
let real: RealQemuGa;
let fake: FakeQemuGa;

beforeAll(async () => {
	real = await startRealQemuGa(temp.dir);
	fake = await startFakeQemuGa(path.join(temp.dir, 'fake.sock'));
});

afterAll(async () => {
	await real?.stop();
	await fake?.close();
	temp.remove();
});

async function callOn(socketPath: string): Promise<{call: GuestCall; agent: Agent}> {
	const agent = new Agent({name: 'host', registry: new MethodRegistry(), protocol: qgaProtocol, callTimeoutMs: 3000});
	agent.attach(await connectEndpoint({kind: 'unix', path: socketPath}));
	return {agent, call: async (method, params) => agent.call(method, params as WireValue[])};
}

describe('agent_* on the real qemu-ga', () => {
	it('capabilities are the enabled commands; viewdmesg names the disabled guest-exec; viewfile reads and closes', async () => {
		const {agent, call} = await callOn(real.path);
		try {
			const info = await qgaInfo(call);
			expect(info.version).toBe(real.version);
			expect(info.enabled).toEqual([
				'guest-file-close',
				'guest-file-open',
				'guest-file-read',
				'guest-get-host-name',
				'guest-get-osinfo',
				'guest-get-time',
				'guest-info',
				'guest-ping',
				'guest-sync',
				'guest-sync-delimited',
			]);
			expect(info.disabled).toContain('guest-exec');
			expect(() => requireEnabled(info, 'guest-exec', 'agent_viewdmesg')).toThrow('agent_viewdmesg needs guest-exec, which is disabled in this qemu-ga');
			expect(() => requireEnabled(info, 'guest-fly', 'x')).toThrow('is not supported by this qemu-ga');

			const content = randomBytes(3 * 1024 * 1024 + 1);
			const file = path.join(temp.dir, 'view.bin');
			writeFileSync(file, content);
			const left: number[] = [];
			expect((await qgaReadFile(call, file, 4 * 1024 * 1024, handle => left.push(handle))).equals(content)).toBe(true);
			await expect(qgaReadFile(call, file, 1024 * 1024, handle => left.push(handle))).rejects.toThrow('file too large');
			expect(left).toEqual([]);
			const missing = await qgaReadFile(call, path.join(temp.dir, 'none'), 10, () => undefined).catch((error: unknown) => error);
			expect(missing).toBeInstanceOf(RpcFaultError);
			expect((missing as RpcFaultError).faultString).toMatch(/^failed to open file .*No such file or directory$/);
		} finally {
			agent.close();
		}
	});
});

describe('agent_* on the fake qemu-ga (what must not run here)', () => {
	it('viewdmesg runs dmesg through guest-exec and waits for it', async () => {
		const {agent, call} = await callOn(fake.path);
		try {
			expect((await qgaDmesg(call, 2000)).toString()).toContain('fake dmesg');
			const executed = fake.requests.filter(request => request.execute.startsWith('guest-exec'));
			expect(executed[0]).toMatchObject({execute: 'guest-exec', arguments: {path: 'dmesg', 'capture-output': true}});
			expect(executed.at(-1)?.execute).toBe('guest-exec-status');
		} finally {
			agent.close();
		}
	});

	it('shutdown: silence or a closed channel is success, and says which', async () => {
		const {agent, call} = await callOn(fake.path);
		try {
			expect(await qgaShutdown(call, 'powerdown')).toBe('silence');
			expect(fake.requests.at(-1)).toMatchObject({execute: 'guest-shutdown', arguments: {mode: 'powerdown'}});
			fake.override('guest-shutdown', (_request, connection) => {
				connection.close();
			});
			expect(await qgaShutdown(call, 'reboot')).toBe('channel-closed');
		} finally {
			agent.close();
		}
	});

	it('a dmesg that never exits is a timeout, not a hang', async () => {
		fake.override('guest-exec-status', (request, connection) => {
			connection.reply(request, {exited: false});
		});
		const {agent, call} = await callOn(fake.path);
		try {
			const error = await qgaDmesg(call, 200).catch((error_: unknown) => error_);
			expect((error as VirtagentError).code).toBe('ETIMEDOUT');
		} finally {
			agent.close();
		}
	});
});
