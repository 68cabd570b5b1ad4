/**
 * The guest's handler table (src/guest/rpcs/index.ts) as the daemon wires it, in-process: a whole
 * GuestDaemon started from a command line, the project's engine (or a raw socket) as the host.
 */
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {guestMethodNames} from '../../src/guest/rpcs/index.js';
import {getfileLimit} from '../../src/guest/rpcs/getfile.js';
import {encodeCall} from '../../src/protocol/codec.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {rawHost} from '../helpers/raw-host.js';
import {faultOf as callFault} from './helpers.js';
import {guestHandlers, inProcessGuest, valueOf, type InProcessGuest} from './in-process.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

async function guest(args: readonly string[] = [], options: {connect?: boolean} = {}): Promise<InProcessGuest> {
	const started = await inProcessGuest(['--shutdown-command', 'false', ...args], undefined, options);
	cleanups.push(async () => started.close());
	return started;
}

const allMethods = ['system.listMethods', 'va.capabilities', 'va.getdmesg', 'va.getfile', 'va.ping', 'va.readfile', 'va.shutdown'];
const bodyMax = 2 * 1024 * 1024;

describe('the guest handler table, in-process', () => {
	it('serves every guest method of the catalogue, and says so in va.capabilities with its limits', async () => {
		expect([...guestMethodNames].sort()).toEqual(allMethods);
		const {host} = await guest();
		expect(await host.agent.call('va.capabilities')).toEqual({version: '1.0', methods: allMethods, limits: {serverQueue: 1, body: bodyMax}});
		expect(await host.agent.call('system.listMethods')).toEqual(allMethods);
	});

	it('leaves limits out of va.capabilities when it has none to say', async () => {
		const value = valueOf(await guestHandlers().call('va.capabilities')) as Record<string, unknown>;
		expect(Object.keys(value)).toEqual(['version', 'methods']);
		expect(value['methods']).toEqual(allMethods);
	});

	it('lists only the enabled methods, at each call (disabled ones answer -508)', async () => {
		const {host} = await guest(['--block-rpcs', 'va.getdmesg,va.shutdown']);
		const enabled = allMethods.filter(name => name !== 'va.getdmesg' && name !== 'va.shutdown');
		expect(await host.agent.call('va.capabilities')).toMatchObject({methods: enabled});
		const disabled = await callFault(host.agent.call('va.shutdown', ['halt']));
		expect([disabled.code, disabled.faultString]).toEqual([-508, "Method 'va.shutdown' is disabled by the guest's configuration"]);
		const handlers = guestHandlers();
		handlers.registry.disable('va.readfile');
		expect((valueOf(await handlers.call('va.capabilities')) as {methods: string[]}).methods).toEqual(allMethods.filter(name => name !== 'va.readfile'));
	});

	it('answers va.ping "dummy" whatever its parameters', async () => {
		const {host} = await guest();
		expect(await host.agent.call('va.ping')).toBe('dummy');
		expect(await host.agent.call('va.ping', ['anything', 42, {a: [1, 2]}, Buffer.from('x')])).toBe('dummy');
	});

	it('answers a parameter nested 64 deep and refuses 65 (fault -501), and goes on answering', async () => {
		const {socketPath} = await guest([], {connect: false});
		const host = await rawHost(socketPath);
		cleanups.push(() => {
			host.socket.destroy();
		});
		const nested = (depth: number) => `${'<value><array><data>'.repeat(depth)}<value><int>1</int></value>${'</data></array></value>'.repeat(depth)}`;
		const ping = (depth: number) =>
			`<?xml version="1.0"?><methodCall><methodName>va.ping</methodName><params><param>${nested(depth)}</param></params></methodCall>`;
		host.socket.write(encodeFrame('request', 'deep64', Buffer.from(ping(64))));
		expect(await host.answer('deep64')).toBe('dummy');
		host.socket.write(encodeFrame('request', 'deep65', Buffer.from(ping(65))));
		expect(await host.answer('deep65')).toMatchObject({code: -501});
		host.socket.write(encodeFrame('request', 'after', encodeCall('va.ping', [])));
		expect(await host.answer('after')).toBe('dummy');
	});

	it('sends the largest file a 2 MiB body holds, and faults one byte more, over the wire', async () => {
		const limit = getfileLimit(bodyMax);
		const {host, dir} = await guest();
		const content = randomBytes(limit + 1);
		const largest = path.join(dir, 'largest');
		fs.writeFileSync(largest, content.subarray(0, limit));
		const value = (await host.agent.call('va.getfile', [largest], {timeoutMs: 20_000})) as Buffer;
		expect(value.equals(content.subarray(0, limit))).toBe(true);
		const over = path.join(dir, 'over');
		fs.writeFileSync(over, content);
		const error = await callFault(host.agent.call('va.getfile', [over]));
		expect([error.code, error.faultString]).toEqual([-500, `file too large: ${limit + 1} bytes (limit ${limit})`]);
	});

	it('takes --getfile-max as the va.getfile limit', async () => {
		const {host, dir} = await guest(['--getfile-max', '100']);
		fs.writeFileSync(path.join(dir, 'hundred'), Buffer.alloc(100, 7));
		fs.writeFileSync(path.join(dir, 'more'), Buffer.alloc(101, 7));
		expect(await host.agent.call('va.getfile', [path.join(dir, 'hundred')])).toEqual(Buffer.alloc(100, 7));
		const error = await callFault(host.agent.call('va.getfile', [path.join(dir, 'more')]));
		expect(error.faultString).toBe('file too large: 101 bytes (limit 100)');
	});

	it('passes va.readfile its offset (as i8 past 2^31) and count, and va.getdmesg its --dmesg-command', async () => {
		const {host, dir} = await guest(['--dmesg-command', "printf '[    1.000000] hi\\n'"]);
		const file = path.join(dir, 'data');
		fs.writeFileSync(file, 'abcdef');
		expect(await host.agent.call('va.readfile', [file, 2, 3])).toMatchObject({data: Buffer.from('cde'), eof: false, size: 6});
		expect(await host.agent.call('va.readfile', [file, 2n ** 33n, 3])).toMatchObject({data: Buffer.alloc(0), eof: true, size: 6});
		const count = await callFault(host.agent.call('va.readfile', [file, 0, 1024 * 1024 + 1]));
		expect([count.code, count.faultString]).toEqual([-501, 'parameter 3 (count): 1048577 is out of range (0 to 1048576)']);
		expect(await host.agent.call('va.getdmesg')).toBe('[    1.000000] hi\n');
	});
});
