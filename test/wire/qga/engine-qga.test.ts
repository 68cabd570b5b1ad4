/**
 * The engine (src/engine/agent.ts) driving qemu-ga through the qga wire protocol: the real agent
 * (block list, checked with guest-info) for the commands it may run here, the fake for
 * guest-shutdown.
 */
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {Agent} from '../../../src/engine/agent.js';
import {RpcFaultError, VirtagentError} from '../../../src/engine/errors.js';
import {MethodRegistry} from '../../../src/engine/registry.js';
import {connectEndpoint} from '../../../src/transport/endpoint.js';
import {QgaProtocol, qgaProtocol} from '../../../src/wire/qga/index.js';
import {startFakeQemuGa} from '../../helpers/fake-qemu-ga.js';
import {startRealQemuGa, type RealQemuGa} from '../../helpers/real-qemu-ga.js';
import {tempDir} from '../../helpers/socket-pair.js';

let real: RealQemuGa;
const temp = tempDir('va-engine-qga-');

beforeAll(async () => {
	real = await startRealQemuGa(temp.dir);
});

afterAll(async () => {
	await real?.stop();
	temp.remove();
});

async function agentOn(socketPath: string, callTimeoutMs = 3000): Promise<Agent> {
	const agent = new Agent({name: 'host', registry: new MethodRegistry(), protocol: qgaProtocol, callTimeoutMs});
	agent.attach(await connectEndpoint({kind: 'unix', path: socketPath}));
	return agent;
}

describe('the engine over qemu-ga', () => {
	it('calls the real agent: a sync first, then replies matched by id; errors are faults with their class', async () => {
		const agent = await agentOn(real.path);
		try {
			expect(await agent.call('guest-ping')).toEqual({});
			const info = (await agent.call('guest-info')) as {version: string};
			expect(info.version).toBe(real.version);
			const error = await agent.call('guest-exec', [{path: 'true'}]).catch((error_: unknown) => error_);
			expect(error).toBeInstanceOf(RpcFaultError);
			expect((error as RpcFaultError).code).toBe(-508);
			expect((error as RpcFaultError).faultString).toBe('Command guest-exec has been disabled');
			expect((agent.protocol as QgaProtocol).counters.syncs).toBe(1);
		} finally {
			agent.close();
		}
	});

	it('guest-shutdown (on the fake) resolves with how it ended, and the next call syncs again', async () => {
		const fake = await startFakeQemuGa(path.join(temp.dir, 'fake.sock'));
		const agent = await agentOn(fake.path);
		try {
			expect(await agent.call('guest-shutdown', [{mode: 'powerdown'}], {timeoutMs: 200})).toEqual({noReply: 'silence'});
			expect(await agent.call('guest-ping')).toEqual({});
			expect(fake.requests.map(request => request.execute)).toEqual(['guest-sync-delimited', 'guest-shutdown', 'guest-sync-delimited', 'guest-ping']);
		} finally {
			agent.close();
			await fake.close();
		}
	});

	it('a second client gets ETIMEDOUT, not a hang', async () => {
		const first = await agentOn(real.path);
		const second = await agentOn(real.path, 500);
		try {
			await first.call('guest-ping');
			const error = await second.call('guest-ping').catch((error_: unknown) => error_);
			expect(error).toBeInstanceOf(VirtagentError);
			expect((error as VirtagentError).code).toBe('ETIMEDOUT');
			expect((second.protocol as QgaProtocol).answeredOnce).toBe(false);
		} finally {
			first.close();
			second.close();
		}
	});
});
