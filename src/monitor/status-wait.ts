import type {SessionEvent} from './session-api.js';

/** What a wait decides at a status change: keep waiting (undefined), done (true), or fail with an error. */
export type StatusCheck = () => true | Error | undefined;

type Subscribe = (listener: (event: SessionEvent) => void) => () => void;

/**
 * The one way the monitor waits on its session: `check` runs now and at every status event until it
 * settles; past `deadlineMs` the wait fails with `timedOut()` (built then, so it describes that moment).
 */
export async function waitForStatus(subscribe: Subscribe, check: StatusCheck, deadlineMs: number, timedOut: () => Error): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		let settled = false;
		const settle = (outcome: true | Error | undefined) => {
			if (outcome === undefined || settled) {
				return;
			}

			settled = true;
			clearTimeout(timer);
			unsubscribe();
			if (outcome === true) {
				resolve();
			} else {
				reject(outcome);
			}
		};

		const timer = setTimeout(() => {
			settle(timedOut());
		}, deadlineMs);
		const unsubscribe = subscribe(event => {
			if (event.type === 'status') {
				settle(check());
			}
		});
		settle(check());
	});
}
