import {setTimeout as sleep} from 'node:timers/promises';
import type {Agent} from '../engine/agent.js';
import {RpcFaultError, VirtagentError} from '../engine/errors.js';
import type {GuestLog} from './log.js';

export type HelloOptions = {
	/** Deadline of each attempt (default 5 s). */
	readonly timeoutMs?: number;
	/** Pauses before attempts 2, 3, …; their count bounds the retries. */
	readonly retryDelaysMs?: readonly number[];
};

const defaultRetryDelaysMs = [500, 1000, 2000, 4000, 8000];

/**
 * Say va.hello on a fresh channel. A host that does not serve it yet (fault -506), a timeout
 * or another fault is retried a bounded number of times with growing pauses; losing the channel
 * ends the attempt (the next channel says hello again): `channel` is aborted when this channel
 * goes down. Never throws.
 */
export async function sayHello(agent: Agent, log: GuestLog, channel: AbortSignal, options: HelloOptions = {}): Promise<boolean> {
	const delays = options.retryDelaysMs ?? defaultRetryDelaysMs;
	for (let attempt = 0; attempt <= delays.length; attempt++) {
		if (attempt > 0) {
			await sleep(delays[attempt - 1]!, undefined, {ref: false, signal: channel}).catch(() => undefined);
		}

		if (channel.aborted) {
			return false;
		}

		try {
			await agent.call('va.hello', [], {timeoutMs: options.timeoutMs ?? 5000});
			log.log('info', attempt === 0 ? 'va.hello: the host answered' : `va.hello: the host answered (attempt ${attempt + 1})`);
			return true;
		} catch (error) {
			if (error instanceof VirtagentError && (error.code === 'ECONNRESET' || error.code === 'ENOTCONN')) {
				log.log('debug', `va.hello abandoned: ${error.message}`);
				return false;
			}

			const reason = error instanceof RpcFaultError ? `fault ${error.code} ${error.faultString}` : (error as Error).message;
			const last = attempt === delays.length;
			log.log(
				last ? 'warning' : 'info',
				`va.hello failed: ${reason}${last ? '; giving up until the host reconnects' : `; retrying in ${delays[attempt]! / 1000}s`}`,
			);
		}
	}

	return false;
}
