/** The session the CLI opens: its host agent and connection made from options, then started. */
import {Agent} from '../engine/agent.js';
import {connectionFor, type DialOptions, type SessionTarget} from './connection.js';
import {hostRegistry} from './host-rpcs.js';
import {guestProtocolFactory, type ProtocolChoice} from './qga/protocol-switch.js';
import {Session, type SessionParts} from './session.js';

export type SessionOptions = Omit<SessionParts, 'agent' | 'connection'> &
	DialOptions & {
		readonly target: SessionTarget;
		/** Emit `wire` events (for `-v`). */
		readonly wireTap?: boolean;
		readonly clientQueueMax?: number;
		/** What the guest speaks (docs/PROTOCOL.md §9); `auto` probes each stream. Default virtagent. */
		readonly protocol?: ProtocolChoice;
		/** A started frame from the guest that stalls this long is dropped (default 10 s). */
		readonly stallTimeoutMs?: number;
	};

/** The session the CLI runs: a host agent, the connection for `target`, started. */
export async function openSession(options: SessionOptions): Promise<Session> {
	const agent = new Agent({
		name: 'host',
		registry: hostRegistry(),
		callTimeoutMs: options.timeoutMs ?? 5000,
		protocol: guestProtocolFactory(options.protocol ?? 'virtagent'),
		...(options.clientQueueMax === undefined ? {} : {clientQueueMax: options.clientQueueMax}),
		...(options.stallTimeoutMs === undefined ? {} : {limits: {headerStallMs: options.stallTimeoutMs, bodyStallMs: options.stallTimeoutMs}}),
	});
	agent.wireTap = options.wireTap ?? false;
	const connection = connectionFor(options.target, agent, options);
	const session = new Session({...options, agent, connection});
	try {
		return await session.start();
	} catch (error) {
		await session.close();
		throw error;
	}
}
