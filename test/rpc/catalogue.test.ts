import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {allCommands} from '../../commands/index.js';
import {RpcFault, VirtagentError} from '../../src/engine/errors.js';
import {guestMethodNames} from '../../src/guest/rpcs/index.js';
import {openSession} from '../../src/monitor/open-session.js';
import {allRpcs, rpcs, servedBy} from '../../src/rpc/catalogue.js';
import {connectHost, makeHost, startGuest} from '../guest/helpers.js';
import {tempDir, waitFor} from '../helpers/socket-pair.js';
import {faultBody, responseBody, startRawGuest} from '../monitor/helpers/raw-guest.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

function fault(run: () => unknown): {code: number; message: string} {
	try {
		run();
	} catch (error) {
		expect(error).toBeInstanceOf(RpcFault);
		return {code: (error as RpcFault).code, message: (error as RpcFault).message};
	}

	throw new Error('expected a fault');
}

describe('the RPC catalogue', () => {
	it('checks a request the way the guest answers it: fault -501 naming the parameter', () => {
		expect(rpcs.getfile.readParams(['/etc/hostname'])).toEqual(['/etc/hostname']);
		expect(fault(() => rpcs.getfile.readParams([]))).toEqual({code: -501, message: 'missing parameter 1 (path): string expected'});
		expect(fault(() => rpcs.getfile.readParams([42]))).toEqual({code: -501, message: 'parameter 1 (path): string expected'});
		expect(fault(() => rpcs.getfile.readParams(['/a', '/b']))).toEqual({code: -501, message: 'expected 1 parameter, got 2'});
		expect(fault(() => rpcs.getdmesg.readParams([1]))).toEqual({code: -501, message: 'expected no parameters, got 1'});
		// va.ping takes anything (docs/PROTOCOL.md §5).
		expect(rpcs.ping.readParams([1, 'two', null])).toEqual([1, 'two', null]);
	});

	it('guards a result the way the host reads it: EPROTO naming what came back', () => {
		expect(rpcs.getdmesg.readResult('kernel: ok')).toBe('kernel: ok');
		expect(() => rpcs.getfile.readResult('not bytes')).toThrow(new VirtagentError('EPROTO', 'va.getfile returned a string, expected base64 bytes'));
		expect(() => rpcs.listMethods.readResult(['va.ping', 7])).toThrow('system.listMethods returned an array, expected a list of names');
		expect(() => rpcs.capabilities.readResult([])).toThrow('va.capabilities returned an array');
	});

	it('reads capabilities from own members only, limits included when given', () => {
		const struct = Object.assign(Object.create(null) as object, {
			version: '1.0',
			methods: ['va.ping'],
			limits: Object.assign(Object.create(null) as object, {serverQueue: 2, body: 1024}),
		});
		expect(rpcs.capabilities.readResult(struct as never)).toEqual({version: '1.0', methods: ['va.ping'], limits: {serverQueue: 2, body: 1024}});
		// A plain object's inherited keys are not members.
		expect(rpcs.capabilities.readResult({} as never)).toEqual({version: undefined, methods: undefined, limits: undefined});
		expect(rpcs.capabilities.readResult({version: 7, methods: 'x'} as never)).toEqual({version: undefined, methods: undefined, limits: undefined});
	});

	it('names what each end serves; the guest accepts exactly those in --allow-rpcs/--block-rpcs', () => {
		expect(servedBy('guest')).toEqual(['system.listMethods', 'va.capabilities', 'va.getdmesg', 'va.getfile', 'va.ping', 'va.readfile', 'va.shutdown']);
		expect(servedBy('host')).toEqual(['system.listMethods', 'va.capabilities', 'va.hello', 'va.ping']);
		expect(guestMethodNames).toEqual(servedBy('guest'));
		expect(new Set(allRpcs.map(rpc => rpc.name)).size).toBe(allRpcs.length);
	});

	it("a real guest daemon's answers pass every guard the monitor applies", async () => {
		const {dir, remove} = tempDir('va-catalogue-');
		cleanups.push(remove);
		const socketPath = path.join(dir, 'guest.sock');
		const file = path.join(dir, 'hostname');
		writeFileSync(file, 'guest01\n');
		const guest = startGuest(['--channel', 'unix-listen', '--path', socketPath, '--dmesg-command', 'echo kernel: ok']);
		cleanups.push(async () => guest.stop('SIGKILL'));
		const host = makeHost();
		cleanups.push(() => host.close());
		await connectHost(host, socketPath);
		await waitFor(() => host.hellos === 1, 5000, 'the hello');
		const ask = async (name: string, params: readonly string[] = []) => host.agent.call(name, params);
		expect(rpcs.listMethods.readResult(await ask('system.listMethods'))).toEqual(servedBy('guest'));
		expect(rpcs.capabilities.readResult(await ask('va.capabilities'))).toMatchObject({version: '1.0', methods: servedBy('guest')});
		expect(rpcs.ping.readResult(await ask('va.ping'))).toBe('dummy');
		expect(rpcs.getdmesg.readResult(await ask('va.getdmesg'))).toContain('kernel: ok');
		expect(rpcs.getfile.readResult(await ask('va.getfile', [file])).toString()).toBe('guest01\n');
	});

	it('an older guest (no va.capabilities) that answers with the wrong type: negotiated by its method list, the command fails with EPROTO', async () => {
		const {dir, remove} = tempDir('va-catalogue-');
		cleanups.push(remove);
		const socketPath = path.join(dir, 'va.sock');
		const guest = await startRawGuest(socketPath, method =>
			method === 'va.capabilities'
				? faultBody(-506, "Method 'va.capabilities' not defined")
				: method === 'system.listMethods'
					? responseBody(['va.getfile', 'va.getdmesg'])
					: responseBody('just text'),
		);
		cleanups.push(async () => guest.close());
		const session = await openSession({
			commands: allCommands,
			target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}},
			timeoutMs: 300,
			waitForGuest: true,
		});
		cleanups.push(async () => session.close());
		await expect(session.execute('agent_viewfile /etc/hostname')).resolves.toMatchObject({
			ok: false,
			text: 'error: VirtagentFailed (EPROTO): agent_viewfile /etc/hostname: va.getfile returned a string, expected base64 bytes',
		});
	});
});
