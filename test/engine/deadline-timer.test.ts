import {afterEach, describe, expect, it} from 'vitest';
import {DeadlineTimer} from '../../src/engine/deadline-timer.js';

const timers: DeadlineTimer[] = [];
afterEach(() => {
	for (const timer of timers.splice(0)) {
		timer.stop();
	}
});

/** A set of deadlines as the client side keeps them: each expires once, in time order. */
function deadlines() {
	const pending = new Map<string, number>();
	const expired: Array<{name: string; late: number}> = [];
	let onExpire: (name: string) => void = () => undefined;
	const timer = new DeadlineTimer(now => {
		const due = [...pending].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
		for (const [name, at] of due) {
			pending.delete(name);
			expired.push({name, late: now - at});
			onExpire(name);
		}

		const left = [...pending.values()];
		return left.length > 0 ? Math.min(...left) : undefined;
	});
	timers.push(timer);
	return {
		timer,
		expired,
		add(name: string, ms: number) {
			pending.set(name, timer.add(ms));
		},
		remove(name: string) {
			pending.delete(name);
		},
		onExpire(handler: (name: string) => void) {
			onExpire = handler;
		},
	};
}

const settle = async (ms: number) =>
	new Promise(resolve => {
		setTimeout(resolve, ms);
	});

describe('one timer for many deadlines', () => {
	it('expires each deadline once, never before it, in time order whatever the order they were added in', async () => {
		const set = deadlines();
		set.add('slow', 120);
		set.add('fast', 30); // Earlier than the armed one: the timer is re-armed for it.
		set.add('middle', 70);
		await settle(200);
		expect(set.expired.map(entry => entry.name)).toEqual(['fast', 'middle', 'slow']);
		for (const entry of set.expired) {
			expect(entry.late).toBeGreaterThanOrEqual(0);
		}
	});

	it('a deadline removed before it is due never expires, and the ones after it still do', async () => {
		const set = deadlines();
		set.add('answered', 20);
		set.add('silent', 60);
		set.remove('answered');
		await settle(120);
		expect(set.expired.map(entry => entry.name)).toEqual(['silent']);
	});

	it('a deadline added while expiring (a resync the kick queues) is kept and expires too', async () => {
		const set = deadlines();
		set.onExpire(name => {
			if (name === 'first') {
				set.add('added-while-expiring', 30);
			}
		});
		set.add('first', 20);
		set.add('later', 200);
		await settle(120);
		expect(set.expired.map(entry => entry.name)).toEqual(['first', 'added-while-expiring']);
		await settle(150);
		expect(set.expired.map(entry => entry.name)).toEqual(['first', 'added-while-expiring', 'later']);
	});

	it('stop forgets the armed timer', async () => {
		const set = deadlines();
		set.add('never', 20);
		set.timer.stop();
		await settle(80);
		expect(set.expired).toEqual([]);
	});
});
