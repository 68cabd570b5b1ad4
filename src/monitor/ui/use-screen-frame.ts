import {useCallback, useEffect, useRef, useSyncExternalStore} from 'react';
import type {MonitorSession} from '../session-api.js';
import {FrameClock} from './frame-clock.js';
import type {LiveTerminal} from './live-terminal.js';
import {ScreenStore, type ScreenSnapshot} from './screen-store.js';
import {formatScrollItem, type ScrollItem} from './scrollback.js';

export type ScreenFrame = {
	/** The state to draw, as of the last frame. */
	readonly snapshot: ScreenSnapshot;
	/** Add a finished line: written above the live region with the next frame. */
	push(item: ScrollItem): void;
	/** Something the live region shows changed: redraw it with the next frame. */
	requestFrame(): void;
	/** A one-shot line under the prompt, shown from the next frame. */
	setHint(hint: string | undefined): void;
	/** Write the pending lines now (before the screen exits). */
	flush(): void;
};

/**
 * The screen's one frame clock. A session event, a key, a finished line only ask for a frame;
 * at each tick the store publishes one snapshot of everything, React renders it once, Ink hands
 * the frame to the terminal, which writes the collected lines and the frame in one write.
 */
export function useScreenFrame(session: MonitorSession, terminal: LiveTerminal, frameMs: number): ScreenFrame {
	const storeRef = useRef<ScreenStore | undefined>(undefined);
	storeRef.current ??= new ScreenStore(session, () => ({columns: terminal.columns, rows: terminal.rows}));
	const store = storeRef.current;
	const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const dirty = useRef(false);
	const clockRef = useRef<FrameClock | undefined>(undefined);
	clockRef.current ??= new FrameClock(frameMs, () => {
		if (dirty.current) {
			dirty.current = false;
			// React renders it, Ink hands the frame to the terminal, which writes the lines with it.
			store.publish();
		} else {
			// Only lines to write, under the frame as it is.
			terminal.draw();
		}
	});
	const clock = clockRef.current;
	terminal.onDraw(clock.drawn.bind(clock));

	const requestFrame = useCallback(() => {
		dirty.current = true;
		clock.request();
	}, [clock]);

	useEffect(() => {
		const unsubscribe = session.subscribe(requestFrame);
		// A resize is laid out at once; the terminal erases the old frame as it re-wrapped it.
		terminal.onResize(() => {
			store.publish();
		});
		// The session may have moved between the first render and the subscription.
		requestFrame();
		return () => {
			unsubscribe();
			terminal.onResize(() => undefined);
			clock.stop();
		};
	}, [session, terminal, store, clock, requestFrame]);

	const push = useCallback(
		(item: ScrollItem) => {
			terminal.scroll(formatScrollItem(item));
			clock.request();
		},
		[terminal, clock],
	);

	const setHint = useCallback(
		(hint: string | undefined) => {
			store.setHint(hint);
		},
		[store],
	);

	const flush = useCallback(() => {
		clock.stop();
		if (dirty.current) {
			dirty.current = false;
			store.publish();
		}

		terminal.draw();
	}, [clock, store, terminal]);

	return {snapshot, push, requestFrame, setHint, flush};
}
