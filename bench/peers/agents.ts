import {readFile} from 'node:fs/promises';
import {Agent} from '../../src/engine/agent.js';
import {MethodRegistry, stringParam} from '../../src/engine/registry.js';
import type {Channel} from '../../src/transport/channel.js';
import {connectEndpoint} from '../../src/transport/endpoint.js';

/*
 * The bench's own agents, built from the project's engine: the host side of every case, and a
 * stand-in guest that serves the same va.ping / va.getfile shapes as the real daemon. The
 * stand-in isolates engine + framing + codec cost from whatever else the daemon does.
 */

/** va.ping, plus a plain va.getfile (the whole file as base64) for the stand-in guest. */
export function benchRegistry(options: {readonly getfile: boolean}): MethodRegistry {
	const registry = new MethodRegistry();
	registry.register('va.ping', 'Answer "dummy".', () => 'dummy');
	registry.register('va.hello', 'Answer "dummy".', () => 'dummy');
	if (options.getfile) {
		registry.register('va.getfile', "The file's bytes.", async params => readFile(stringParam(params, 0, 'path')));
	}

	return registry;
}

export function benchAgent(name: string, options: {readonly getfile: boolean}): Agent {
	// Generous deadlines: a busy shared machine must not turn a slow round into failures.
	return new Agent({name, registry: benchRegistry(options), callTimeoutMs: 60_000, handlerTimeoutMs: 60_000, serverSendTimeoutMs: 60_000});
}

export async function connectAgent(socketPath: string, name: string): Promise<Agent> {
	const agent = benchAgent(name, {getfile: false});
	agent.attach(await connectEndpoint({kind: 'unix', path: socketPath}));
	return agent;
}

/** Waits for the first connection on a Channel listener's callback and attaches `agent` to it. */
export function attachFirst(agent: Agent): (channel: Channel) => void {
	let attached = false;
	return channel => {
		if (attached) {
			channel.destroy();
			return;
		}

		attached = true;
		agent.attach(channel);
	};
}

/** `count` sequential calls of `method`; resolves with the calls per second. */
export async function callLoop(agent: Agent, method: string, params: readonly string[], count: number): Promise<number> {
	const start = performance.now();
	for (let i = 0; i < count; i++) {
		await agent.call(method, params);
	}

	return count / ((performance.now() - start) / 1000);
}
