/** Under 30 redraws a second, whatever the event rate. */
export const defaultFrameMs = 34;

/**
 * Draws at most once per frame: `draw` runs on the clock's tick, and the terminal reports each
 * redraw with `drawn()` (React may render the tick's frame a moment later); the next tick waits
 * one frame per redraw. A request after a quiet frame draws at once (on the next turn of the
 * event loop, so that one read's worth of input and events share it): a keystroke echoes
 * without delay, a burst costs a few frames.
 */
export class FrameClock {
	readonly #frameMs: number;
	readonly #draw: () => void;
	#nextAt = 0;
	#cancel: (() => void) | undefined;

	constructor(frameMs: number, draw: () => void) {
		this.#frameMs = frameMs;
		this.#draw = draw;
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
		this.#draw();
	};

	/** The terminal was redrawn: the next tick waits a frame more. */
	drawn(): void {
		this.#nextAt = Math.max(this.#nextAt, Date.now()) + this.#frameMs;
	}

	/** Forget a pending tick (the screen is going away). */
	stop(): void {
		this.#cancel?.();
		this.#cancel = undefined;
	}
}
