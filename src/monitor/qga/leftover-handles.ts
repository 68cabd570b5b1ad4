import type {Agent} from '../../engine/agent.js';
import {RpcFaultError} from '../../engine/errors.js';

/**
 * qemu-ga file handles that a dropped connection left open: they outlive the connection (they
 * are the agent's, docs/QGA.md), so each is closed on the next connection to qemu-ga.
 */
export class LeftoverHandles {
	readonly #handles = new Set<number>();

	add(handle: number): void {
		this.#handles.add(handle);
	}

	/** Close them all (once negotiated on a qemu-ga stream); one that gets no answer waits for the next. */
	closeAll(agent: Agent, timeoutMs: number, log: (message: string) => void): void {
		for (const handle of [...this.#handles]) {
			this.#handles.delete(handle);
			agent.call('guest-file-close', [{handle}], {timeoutMs}).then(
				() => {
					log(`closed qemu-ga file handle ${handle} left open by a dropped connection`);
				},
				(error: unknown) => {
					// An error answer: it is closed already (or qemu-ga restarted). No answer: next time.
					if (!(error instanceof RpcFaultError)) {
						this.#handles.add(handle);
					}
				},
			);
		}
	}
}
