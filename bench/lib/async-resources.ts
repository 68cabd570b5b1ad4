import {createHook} from 'node:async_hooks';

/**
 * What `calls` runs of `operation` create (promises, timers, ticks…), per run, counted with
 * async_hooks: unlike a rate, a count that the machine's load does not move. Printed as
 * `PROMISE 13.00, Timeout 1.00, TickObject 4.00`.
 */
export async function asyncResourcesPerCall(calls: number, operation: () => Promise<unknown>): Promise<string> {
	const counts = new Map<string, number>();
	const hook = createHook({
		init(_id, type) {
			counts.set(type, (counts.get(type) ?? 0) + 1);
		},
	});
	hook.enable();
	try {
		for (let i = 0; i < calls; i++) {
			await operation();
		}
	} finally {
		hook.disable();
	}

	return [...counts].map(([type, count]) => `${type} ${(count / calls).toFixed(2)}`).join(', ');
}
