import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {threadCpuMs} from '../../../src/monitor/ui/thread-cpu.js';
import {drawShare, FrameClock, longestRestMs} from '../../../src/monitor/ui/frame-clock.js';

/** The process's CPU time as the clock reads it, moved by hand (milliseconds). */
let cpuMs = 0;

const cpu = () => cpuMs;

beforeEach(() => {
	vi.useFakeTimers();
	cpuMs = 0;
});

afterEach(() => {
	vi.useRealTimers();
});

/** A clock whose frames cost `frameCpuMs` of CPU to draw; returns the tick times. */
function clockWith(frameCpuMs: number): {clock: FrameClock; ticks: number[]} {
	const ticks: number[] = [];
	const clock: FrameClock = new FrameClock(
		34,
		() => {
			ticks.push(Date.now());
			cpuMs += frameCpuMs;
			// As the terminal reports a draw of only new lines: at once.
			clock.drawn();
		},
		{cpuMs: cpu},
	);
	return {clock, ticks};
}

/** The time from the first frame to the second, both requested as soon as possible. */
function secondFrameAfter(clock: FrameClock, ticks: number[]): number {
	clock.request();
	vi.advanceTimersByTime(0);
	expect(ticks).toHaveLength(1);
	clock.request();
	vi.advanceTimersByTime(10_000);
	expect(ticks).toHaveLength(2);
	return ticks[1]! - ticks[0]!;
}

describe('FrameClock', () => {
	it('draws a request after a quiet frame at once, and the next a frame later when drawing is cheap', () => {
		const {clock, ticks} = clockWith(0.5);
		clock.request();
		vi.advanceTimersByTime(0);
		expect(ticks).toHaveLength(1);
		clock.request();
		vi.advanceTimersByTime(33);
		expect(ticks).toHaveLength(1);
		vi.advanceTimersByTime(1);
		expect(ticks).toHaveLength(2);
	});

	it('rests after a costly frame so that drawing takes at most its share of the time', () => {
		const {clock, ticks} = clockWith(10);
		const rest = (10 * (1 - drawShare)) / drawShare;
		expect(rest).toBeGreaterThan(34);
		expect(secondFrameAfter(clock, ticks)).toBe(Math.round(rest));
	});

	it('still draws once a second however costly a frame is', () => {
		const {clock, ticks} = clockWith(500);
		expect(secondFrameAfter(clock, ticks)).toBe(longestRestMs);
	});

	it('never draws more often than its frame, however long', () => {
		const ticks: number[] = [];
		const clock: FrameClock = new FrameClock(
			5000,
			() => {
				ticks.push(Date.now());
				cpuMs += 500;
				clock.drawn();
			},
			{cpuMs: cpu},
		);
		expect(secondFrameAfter(clock, ticks)).toBe(5000);
	});

	it('many requests during a rest make one frame', () => {
		const {clock, ticks} = clockWith(10);
		clock.request();
		vi.advanceTimersByTime(0);
		for (let i = 0; i < 100; i++) {
			clock.request();
			vi.advanceTimersByTime(1);
		}

		vi.advanceTimersByTime(1000);
		expect(ticks).toHaveLength(2);
	});

	it('a redraw outside a tick (a resize) waits one frame and is not costed by the tick before it', async () => {
		const {clock, ticks} = clockWith(10);
		clock.request();
		vi.advanceTimersByTime(0);
		// The tick's costing ends with its microtask; a resize draws later, at its own moment.
		await Promise.resolve();
		vi.advanceTimersByTime(500);
		cpuMs += 300;
		clock.drawn();
		const resizedAt = Date.now();
		clock.request();
		vi.advanceTimersByTime(5000);
		expect(ticks).toHaveLength(2);
		expect(ticks[1]! - resizedAt).toBe(34);
	});

	it("costs frames in the event loop thread's CPU time, which a busy loop moves and a wait does not", async () => {
		vi.useRealTimers();
		const start = threadCpuMs();
		// 30 ms of the process's CPU (not of the wall clock: a loaded machine would give less).
		const processCpu = () => process.cpuUsage().user / 1000;
		const busyUntil = processCpu() + 30;
		while (processCpu() < busyUntil) {
			// Spin.
		}

		const busy = threadCpuMs() - start;
		expect(busy).toBeGreaterThan(20);
		const waitStart = threadCpuMs();
		await new Promise(resolve => setTimeout(resolve, 100));
		expect(threadCpuMs() - waitStart).toBeLessThan(20);
	});
});
