import type net from 'node:net';
import {Agent, type AgentOptions} from '../../src/engine/agent.js';
import {describeJob, describeTransition} from '../../src/engine/describe.js';
import type {EngineEvent} from '../../src/engine/events.js';
import {MethodRegistry} from '../../src/engine/registry.js';
import {decodeResponse, encodeCall} from '../../src/protocol/codec.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import type {XmlRpcValue} from '../../src/protocol/value.js';
import type {Channel} from '../../src/transport/channel.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import type {WireProtocolFactory} from '../../src/wire/types.js';
import {xmlRpcProtocol} from '../../src/wire/xmlrpc/index.js';
import {gate, type Gate} from '../helpers/gate.js';
import {socketPair, waitFor, type SocketPair} from '../helpers/socket-pair.js';

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

/**
 * A raw far end on a socket: it writes request frames by hand and decodes every response the
 * engine writes, in order, as `tag → value` or `fault CODE MESSAGE` (`(none)` for no tag).
 */
export function rawFarEnd(socket: net.Socket) {
	const decoder = new FrameDecoder();
	const answers = new Map<string, string>();
	const order: string[] = [];
	socket.on('data', chunk => {
		for (const event of decoder.push(chunk)) {
			if (event.type === 'frame' && event.frame.kind === 'response') {
				const response = decodeResponse(event.frame.body);
				const tag = event.frame.tag ?? '(none)';
				order.push(tag);
				answers.set(tag, response.ok ? String(response.value) : `fault ${response.fault.code} ${response.fault.message}`);
			}
		}
	});
	return {
		answers,
		order,
		request(tag: string, method = 'va.ping', params: string[] = [tag]) {
			socket.write(encodeFrame('request', tag, encodeCall(method, params)));
		},
		async answer(tag: string) {
			await waitFor(() => answers.has(tag), 10_000, `the answer to ${tag}`);
			return answers.get(tag);
		},
	};
}

/** A wire protocol with a bug: a response carrying BOOM is handed on without an outcome. */
export const boomProtocol: WireProtocolFactory = limits => {
	const protocol = xmlRpcProtocol(limits);
	const push = protocol.reader.push.bind(protocol.reader);
	protocol.reader.push = chunk =>
		push(chunk).map(event =>
			event.type === 'message' && event.message.kind === 'response' && event.message.raw.includes('BOOM')
				? {...event, message: {...event.message, outcome: undefined as never}}
				: event,
		);
	return protocol;
};

/**
 * A channel over `inner` that counts the bytes it hands to the engine (so a test knows they
 * arrived). `canPause: false` hides pause/resume (the engine then keeps what arrives while
 * paused, up to its bound); `write` and `onPause` let a test hold writes and count pauses.
 */
export function countingChannel(
	inner: Channel,
	options: {readonly canPause?: boolean; readonly write?: (data: Buffer) => Promise<void>; readonly onPause?: () => void} = {},
): {channel: Channel; delivered: () => number} {
	let delivered = 0;
	const channel: Channel = {
		label: inner.label,
		start(handlers) {
			inner.start({
				data(chunk) {
					delivered += chunk.length;
					handlers.data(chunk);
				},
				close: handlers.close,
			});
		},
		write: options.write ?? (async data => inner.write(data)),
		destroy() {
			inner.destroy();
		},
		...(options.canPause === false
			? {}
			: {
					pause() {
						options.onPause?.();
						inner.pause?.();
					},
					resume: () => inner.resume?.(),
				}),
	};
	return {channel, delivered: () => delivered};
}
