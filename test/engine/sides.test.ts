import {afterEach, describe, expect, it} from 'vitest';
import {EventBus} from '../../src/engine/bus.js';
import {describeTransition} from '../../src/engine/describe.js';
import type {EngineEvent} from '../../src/engine/events.js';
import {Link} from '../../src/engine/link.js';
import {MethodRegistry} from '../../src/engine/registry.js';
import {ServerSide} from '../../src/engine/server-side.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import {XmlRpcProtocol} from '../../src/wire/xmlrpc/index.js';
import {socketPair} from '../helpers/socket-pair.js';
import {onCleanup, runCleanups} from './helpers.js';

afterEach(runCleanups);

describe('a side refuses an illegal trigger (docs/PROTOCOL.md §4: reported, never a crash)', () => {
	it('the server machine will not start a second send while one is on the wire', async () => {
		const pair = await socketPair();
		onCleanup(() => {
			pair.close();
		});
		const bus = new EventBus('test');
		const events: EngineEvent[] = [];
		bus.subscribe(event => events.push(event));
		const protocol = new XmlRpcProtocol({bodyMax: 1 << 20});
		const ignore = () => undefined;
		const link = new Link(
			protocol,
			bus,
			{message: ignore, protocolError: ignore, lost: ignore, writable: ignore},
			{sendStallMs: 5000, pausedInputMax: 1 << 20},
		);
		// Without the eager write, a send stays on the wire until its callback: the window this test needs.
		link.attach({...socketChannel(pair.a, 'side-test'), writeEager: undefined});
		const illegal: string[] = [];
		let nextId = 1;
		const server = new ServerSide(
			{
				protocol,
				link,
				bus,
				registry: new MethodRegistry(),
				nextJobId: () => nextId++,
				kick: ignore,
				illegal: (machine, detail) => illegal.push(`${machine}: ${detail}`),
			},
			{queueMax: 0, handlerTimeoutMs: 1000, refusalMax: 64},
		);
		// With no slot at all, both requests are refused: two answers ready.
		for (const key of ['r1', 'r2']) {
			server.onRequest({kind: 'request', key, method: 'va.ping', params: [], raw: Buffer.alloc(0)});
		}

		expect(server.trySend()).toBe(true);
		expect(server.state).toBe('SEND');
		// The agent's kick never does this (the link is busy); a bug that did is refused, not obeyed.
		server.trySend();
		expect(illegal).toEqual(['server: send in SEND']);
		expect(server.state).toBe('SEND');
		expect(events.flatMap(event => (event.type === 'state' ? [describeTransition(event)] : []))).toEqual(['server IDLE→SEND #1 (rejected)']);
		link.detach('test over');
	});
});
