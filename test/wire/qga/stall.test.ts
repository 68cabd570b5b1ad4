/**
 * A started reply from qemu-ga must keep moving (docs/PROTOCOL.md §2, as for virtagent frames):
 * a line that gets no byte for the stall time is dropped, the requests waiting on it fail at
 * once with the reason, and the next request resyncs and is answered.
 */
import net from 'node:net';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {Agent} from '../../../src/engine/agent.js';
import {VirtagentError} from '../../../src/engine/errors.js';
import {MethodRegistry} from '../../../src/engine/registry.js';
import {connectEndpoint} from '../../../src/transport/endpoint.js';
import {qgaProtocol} from '../../../src/wire/qga/index.js';
import {defaultLineMax} from '../../../src/wire/qga/line-reader.js';
import {tempDir} from '../../helpers/socket-pair.js';

const temp = tempDir('va-qga-stall-');
afterAll(() => {
	temp.remove();
});

/** A qemu-ga stand-in: answers syncs and pings, except that it leaves its first ping reply unfinished. */
async function stallingAgent(socketPath: string, unfinished: Buffer | string = '{"return": {}, "id": "'): Promise<net.Server> {
	let stalled = false;
	const server = net.createServer(socket => {
		let buffered = '';
		socket.on('data', chunk => {
			buffered += chunk.toString('latin1').replaceAll('\u00FF', '');
			let newline: number;
			while ((newline = buffered.indexOf('\n')) >= 0) {
				const line = buffered.slice(0, newline);
				buffered = buffered.slice(newline + 1);
				if (line.trim() === '') {
					continue;
				}

				const request = JSON.parse(line) as {execute: string; arguments?: {id?: number}; id?: string};
				if (request.execute === 'guest-sync-delimited') {
					socket.write(Buffer.concat([Buffer.from([0xff]), Buffer.from(`{"return": ${request.arguments!.id}}\n`)]));
				} else if (!stalled) {
					stalled = true;
					socket.write(unfinished); // …and nothing more
				} else {
					socket.write(`{"return": {}, "id": ${JSON.stringify(request.id)}}\n`);
				}
			}
		});
	});
	await new Promise<void>(resolve => server.listen(socketPath, resolve));
	return server;
}

describe('qemu-ga: a stalled reply', () => {
	it('fails the waiting request at the stall time, not its deadline, and the next request is answered', async () => {
		const socketPath = path.join(temp.dir, 'qga.sock');
		const server = await stallingAgent(socketPath);
		const agent = new Agent({name: 'host', registry: new MethodRegistry(), protocol: qgaProtocol, callTimeoutMs: 5000, limits: {bodyStallMs: 200}});
		try {
			agent.attach(await connectEndpoint({kind: 'unix', path: socketPath}));
			const started = Date.now();
			const error = await agent.call('guest-ping').catch((error_: unknown) => error_);
			expect(error).toBeInstanceOf(VirtagentError);
			expect((error as VirtagentError).code).toBe('EPROTO');
			expect((error as Error).message).toMatch(/stalled: no byte for 200 ms after \d+ bytes/u);
			expect(Date.now() - started).toBeLessThan(4000);
			expect(await agent.call('guest-ping')).toEqual({});
		} finally {
			agent.close();
			server.close();
		}
	});

	it('a reply over the line limit that stops half way stalls too (it holds nothing, but it is started)', async () => {
		const socketPath = path.join(temp.dir, 'qga-overlong.sock');
		const server = await stallingAgent(socketPath, Buffer.alloc(defaultLineMax + 1000, 0x61));
		const agent = new Agent({name: 'host', registry: new MethodRegistry(), protocol: qgaProtocol, callTimeoutMs: 20_000, limits: {bodyStallMs: 300}});
		try {
			agent.attach(await connectEndpoint({kind: 'unix', path: socketPath}));
			const started = Date.now();
			const error = await agent.call('guest-ping').catch((error_: unknown) => error_);
			expect((error as VirtagentError).code).toBe('EPROTO');
			expect((error as Error).message).toContain(`stalled: no byte for 300 ms after ${defaultLineMax + 1000} bytes`);
			expect(Date.now() - started).toBeLessThan(15_000);
			expect(await agent.call('guest-ping')).toEqual({});
		} finally {
			agent.close();
			server.close();
		}
	});
});
