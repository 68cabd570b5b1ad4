import {Agent, type AgentOptions} from '../../src/engine/agent.js';
import {describeJob, describeTransition} from '../../src/engine/describe.js';
import type {EngineEvent} from '../../src/engine/events.js';
import {MethodRegistry} from '../../src/engine/registry.js';
import type {XmlRpcValue} from '../../src/protocol/value.js';
import type {Channel} from '../../src/transport/channel.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import {gate, type Gate} from '../helpers/gate.js';
import {socketPair, type SocketPair} from '../helpers/socket-pair.js';

/* Two engines over a real UNIX socket, and readers of the events they emit. */

export type End = {agent: Agent; events: EngineEvent[]; registry: MethodRegistry};

const cleanups: Array<() => void> = [];

/** Close what the last test opened (call it from afterEach). */
export function runCleanups(): void {
	for (const cleanup of cleanups.splice(0)) {
		cleanup();
	}
}

export function makeEnd(name: string, options: Partial<AgentOptions> = {}): End {
	const registry = new MethodRegistry();
	registry.register('va.ping', 'ping', params => (params.length > 0 ? params[0]! : 'dummy'));
	const agent = new Agent({name, registry, ...options});
	const events: EngineEvent[] = [];
	agent.subscribe(event => events.push(event));
	cleanups.push(() => {
		agent.close();
	});
	return {agent, events, registry};
}

/**
 * A channel whose writes wait for the test to open a gate (a slow or jammed send side). With
 * `afterWrite`, the bytes go out at once and only the write's completion waits (a late callback).
 */
export function heldChannel(inner: Channel, afterWrite = false): {channel: Channel; hold: () => Gate} {
	let current: Gate | undefined;
	return {
		channel: {
			label: inner.label,
			start: handlers => {
				inner.start(handlers);
			},
			async write(data) {
				const held = current;
				current = undefined;
				if (afterWrite) {
					await inner.write(data);
					await held?.promise;
					return;
				}

				if (held) {
					await held.promise;
				}

				return inner.write(data);
			},
			destroy: () => {
				inner.destroy();
			},
		},
		hold() {
			current = gate();
			return current;
		},
	};
}

/** `va.slow` on that end: it answers (with `answer`) only once the returned gate is opened. */
export function slowMethod(end: End, answer: (params: readonly XmlRpcValue[]) => XmlRpcValue): Gate {
	const release = gate();
	end.registry.register('va.slow', 'waits', async params => {
		await release.promise;
		return answer(params);
	});
	return release;
}

export async function connectedPair(hostOptions: Partial<AgentOptions> = {}, guestOptions: Partial<AgentOptions> = {}) {
	const pair = await socketPair();
	cleanups.push(() => {
		pair.close();
	});
	const host = makeEnd('host', hostOptions);
	const guest = makeEnd('guest', guestOptions);
	return {pair, host, guest};
}

export function transitions(events: readonly EngineEvent[]): string[] {
	return events.flatMap(event => (event.type === 'state' ? [describeTransition(event)] : []));
}

export function jobs(events: readonly EngineEvent[]): string[] {
	return events.flatMap(event => (event.type === 'job' ? [describeJob(event)] : []));
}

export function logs(events: readonly EngineEvent[]): string[] {
	return events.flatMap(event => (event.type === 'log' ? [event.message] : []));
}

export function attachBoth(pair: SocketPair, host: End, guest: End) {
	host.agent.attach(socketChannel(pair.a, 'host-end'));
	guest.agent.attach(socketChannel(pair.b, 'guest-end'));
}

/** Run `cleanup` after the current test. */
export function onCleanup(cleanup: () => void): void {
	cleanups.push(cleanup);
}
