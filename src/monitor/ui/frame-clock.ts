import {threadCpuMs} from './thread-cpu.js';

/** Under 30 redraws a second, whatever the event rate. */
export const defaultFrameMs = 34;

/**
 * The most of the monitor's time that drawing may take: a frame that cost `d` ms of CPU is
 * followed by at least `d × (1 − drawShare) / drawShare` ms without one. A frame is drawn on the
 * event loop, so while it draws no reply is read and no command starts: on a slow machine, where
 * one frame of the live region costs several milliseconds, 30 of them a second would take a
 * sixth of the monitor's time from the work it shows. The frames thin out there instead (a frame
 * of 5 ms: one every 200 ms) and keep the frame rate where drawing is cheap. The event loop
 * thread's CPU time, not wall time: on a loaded machine a frame waits for the CPU, which costs
 * the work nothing. A fortieth, not the tenth the screen may cost: what the clock sees is only
 * the frame's own CPU; its garbage is collected later, and the bytes it writes cost the kernel's
 * terminal and whatever reads them (the terminal, sshd) as much again. Bench case 5 with Ink's
 * cheaper frame, three pairs taken in turns: at 1/20 the screen drew 5-6 frames a second and
 * read 0.80-0.98 of scripted mode, at 1/40 2.5-3.5 a second and 1.00-1.28 (docs/benchmarks.md,
 * "The sixth session").
 */
export const drawShare = 1 / 40;

/** However costly a frame, the screen still shows the state once a second (or once a frame, if longer). */
export const longestRestMs = 1000;

export type FrameClockOptions = {
	readonly share?: number;
	/** CPU time so far, in milliseconds (default: the event loop thread's). */
	readonly cpuMs?: () => number;
};

/**
 * Draws at most once per frame: `draw` runs on the clock's tick, and the terminal reports each
 * redraw with `drawn()` (React may render the tick's frame a moment later); the next tick waits
 * one frame per redraw, or longer after a costly one (`drawShare`). A request after a quiet
 * frame draws at once (on the next turn of the event loop, so that one read's worth of input and
 * events share it): a keystroke echoes without delay, a burst costs a few frames.
 */
export class FrameClock {
	readonly #frameMs: number;
	readonly #draw: () => void;
	readonly #restPerMs: number;
	readonly #cpuMs: () => number;
	#nextAt = 0;
	#cancel: (() => void) | undefined;
	/** The CPU time when the current tick began, until its frame is drawn. */
	#tickAt: number | undefined;

	constructor(frameMs: number, draw: () => void, {share = drawShare, cpuMs = threadCpuMs}: FrameClockOptions = {}) {
		this.#frameMs = frameMs;
		this.#draw = draw;
		this.#restPerMs = (1 - share) / share;
		this.#cpuMs = cpuMs;
	}

	request(): void {
		if (this.#cancel) {
			return;
		}

		const wait = this.#nextAt - Date.now();
		if (wait <= 0) {
			const immediate = setImmediate(this.#tick);
			this.#cancel = () => clearImmediate(immediate);
		} else {
			const timer = setTimeout(this.#tick, wait);
			this.#cancel = () => clearTimeout(timer);
		}
	}

	readonly #tick = (): void => {
		this.stop();
		this.#tickAt = this.#cpuMs();
		this.#draw();
		// React renders the tick's frame on a microtask queued during `draw`, so this one runs after
		// it: a later redraw (a resize, a flush) is not this tick's and is not costed.
		queueMicrotask(() => {
			this.#tickAt = undefined;
		});
	};

	/** The terminal was redrawn: the next tick waits a frame more, or the rest this frame's cost asks. */
	drawn(): void {
		const cost = this.#tickAt === undefined ? 0 : this.#cpuMs() - this.#tickAt;
		this.#tickAt = undefined;
		const rest = Math.max(this.#frameMs, Math.min(longestRestMs, cost * this.#restPerMs));
		this.#nextAt = Math.max(this.#nextAt, Date.now()) + rest;
	}

	/** Forget a pending tick (the screen is going away). */
	stop(): void {
		this.#cancel?.();
		this.#cancel = undefined;
	}
}
