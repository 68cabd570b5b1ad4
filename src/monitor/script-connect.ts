/**
 * Scripted mode's first contact with the guest. A script must not report "connecting" nor
 * retry for seconds against a socket that is not there: it waits until the guest is connected
 * and negotiated (bounded by the command timeout), and fails at once with a clear reason when
 * nothing is there to connect to, unless `--wait SECONDS` asks it to wait for the guest.
 */
import {VirtagentError} from '../engine/errors.js';
import {age} from './format.js';
import type {ConnectionState} from './session-api.js';
import type {Session} from './session.js';
import {waitForStatus} from './status-wait.js';

export type GuestWait = {
	/** `--wait`: how long the guest may take to appear (0: fail at the first refused connect). */
	readonly waitMs: number;
	/** The command timeout: bounds the wait for the handshake once connected. */
	readonly timeoutMs: number;
};

/** Resolves when the guest is connected (and negotiated, or the handshake wait is over); rejects with why not. */
export async function awaitGuest(session: Session, {waitMs, timeoutMs}: GuestWait): Promise<void> {
	// A listening monitor waits for the guest to dial in; a dialling one gives up at the first
	// refusal unless told to wait. Either way no longer than --wait or the command timeout.
	const failFast = waitMs === 0 && session.status.connection.state !== 'listening';
	const deadlineMs = Math.max(waitMs, timeoutMs);
	await waitForStatus(
		listener => session.subscribe(listener),
		() => {
			const {connection} = session.status;
			if (connection.state === 'connected') {
				return true;
			}

			if (connection.state === 'disconnected') {
				return new VirtagentError('ENOTCONN', `not connected to the guest agent: ${connection.reason}`);
			}

			// Nothing there to connect to. A stream that dropped after connecting is waited for.
			return connection.state === 'retrying' && failFast && refusedCode(connection.reason) !== undefined
				? unreachable(session.status.channel, connection)
				: undefined;
		},
		deadlineMs,
		() => {
			const {channel, connection} = session.status;
			return connection.state === 'retrying'
				? unreachable(channel, connection, deadlineMs)
				: new VirtagentError('ENOTCONN', `no guest agent on ${channel} within ${age(deadlineMs)}`);
		},
	);
	// Connected: the guest's hello and method list follow; `info agent` must not say "connecting".
	await session.waitForGuest(timeoutMs).catch(() => undefined);
}

/** `no such socket: /x.sock`, `connection refused: …`, with what to do about it. */
/** The error code of a connect that found nothing to talk to, if that is why it failed. */
function refusedCode(reason: string): string | undefined {
	return /\b(ENOENT|ECONNREFUSED|EACCES|EHOSTUNREACH|ENOTFOUND)\b/u.exec(reason)?.[1];
}

function unreachable(channel: string, connection: Extract<ConnectionState, {state: 'retrying'}>, waitedMs = 0): VirtagentError {
	const code = refusedCode(connection.reason);
	const address = channel.replace(/^unix:/u, '');
	const what =
		code === 'ENOENT'
			? `no such socket: ${address}`
			: code === 'ECONNREFUSED'
				? `connection refused: nothing is listening on ${address}`
				: code === 'EACCES'
					? `permission denied: ${address}`
					: `cannot connect to ${channel}: ${connection.reason}`;
	const advice = waitedMs === 0 ? ' (is the guest running? --wait SECONDS waits for it)' : ` (waited ${age(waitedMs)})`;
	return new VirtagentError('ENOTCONN', `${what}${advice}`);
}
