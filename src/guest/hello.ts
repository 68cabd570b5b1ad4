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
 * A framing error (EPROTO) fails the hello although the host may serve it: the bytes were
 * something else, typically a monitor's protocol probes (docs/PROTOCOL.md §9) that waited in
 * QEMU while the guest booted and all arrive when the port opens. Retried after this short pause,
 * this many times at most, without moving on in the schedule above: in the e2e guest the 0.5 s
 * pause was half of boot-to-hello's lag behind qemu-ga.
 */
const framingRetryMs = 20;
const framingRetriesMax = 10;

/**
 * One channel's life, for its hello loop: ended when the channel goes down. Not an
 * AbortController: Node builds EventTarget and AbortSignal at their first use, and this one was
 * the first, before the hello (docs/guest.md, start-up).
 */
export class ChannelScope {
	#ended = false;
	#wake: (() => void) | undefined;

	get ended(): boolean {
		return this.#ended;
	}

	end(): void {
		this.#ended = true;
		this.#wake?.();
	}

	/** Resolves after `ms` (a timer that keeps nothing alive), or at once when the scope ends. */
	async pause(ms: number): Promise<void> {
		if (this.#ended) {
			return;
		}

		await new Promise<void>(resolve => {
			const timer = setTimeout(() => {
				this.#wake = undefined;
				resolve();
			}, ms);
			timer.unref();
			this.#wake = () => {
				clearTimeout(timer);
				this.#wake = undefined;
				resolve();
			};
		});
	}
}

/**
 * Say va.hello on a fresh channel. A host that does not serve it yet (fault -506), a timeout
 * or another fault is retried a bounded number of times with growing pauses; losing the channel
 * ends the attempt (the next channel says hello again): `channel` ends when this channel goes
 * down. Never throws.
 */
export async function sayHello(agent: Agent, log: GuestLog, channel: ChannelScope, options: HelloOptions = {}): Promise<boolean> {
	const delays = options.retryDelaysMs ?? defaultRetryDelaysMs;
	let scheduled = 0;
	let framingRetries = 0;
	let pauseMs = 0;
	for (let attempt = 1; ; attempt++) {
		if (pauseMs > 0) {
			await channel.pause(pauseMs);
		}

		if (channel.ended) {
			return false;
		}

		try {
			await agent.call('va.hello', [], {timeoutMs: options.timeoutMs ?? 5000});
			log.log('info', attempt === 1 ? 'va.hello: the host answered' : `va.hello: the host answered (attempt ${attempt})`);
			return true;
		} catch (error) {
			if (error instanceof VirtagentError && (error.code === 'ECONNRESET' || error.code === 'ENOTCONN')) {
				log.log('debug', `va.hello abandoned: ${error.message}`);
				return false;
			}

			const reason = error instanceof RpcFaultError ? `fault ${error.code} ${error.faultString}` : (error as Error).message;
			if (error instanceof VirtagentError && error.code === 'EPROTO' && framingRetries < framingRetriesMax) {
				// Not a refusal by the host: the schedule stays where it is.
				framingRetries++;
				pauseMs = framingRetryMs;
			} else if (scheduled < delays.length) {
				pauseMs = delays[scheduled++]!;
			} else {
				log.log('warning', `va.hello failed: ${reason}; giving up until the host reconnects`);
				return false;
			}

			log.log('info', `va.hello failed: ${reason}; retrying in ${pauseMs / 1000}s`);
		}
	}
}
