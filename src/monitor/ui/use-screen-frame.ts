import {useStdout} from 'ink';
import {useCallback, useEffect, useLayoutEffect, useRef, useState} from 'react';
import type {MonitorSession} from '../session-api.js';
import {FrameClock} from './frame-clock.js';
import {formatScrollItem, type ScrollItem} from './scrollback.js';

export type ScreenFrame = {
	/** Add a finished line: written above the live region with the next frame. */
	push(item: ScrollItem): void;
	/** Something the live region shows changed: redraw it with the next frame. */
	requestFrame(): void;
	/** Write the pending lines now (before the screen exits). */
	flush(): void;
};

/**
 * The screen's one frame clock. A session event only asks for a frame (the session folds its
 * model itself, and the frame reads it); finished lines are collected as text; the prompt,
 * hints and job ages ask for a frame too. At each tick the collected lines go out in one write
 * above the live region (Ink's `write`: no React render, no array that grows with the session)
 * and the live region is rendered once, from the latest of everything.
 */
export function useScreenFrame(session: MonitorSession, frameMs: number): ScreenFrame {
	const {write} = useStdout();
	const writeRef = useRef(write);
	writeRef.current = write;
	const scrollback = useRef('');
	const dirty = useRef(false);
	const [, setFrameNumber] = useState(0);
	const writeScrollback = useCallback(() => {
		if (scrollback.current !== '') {
			const text = scrollback.current;
			scrollback.current = '';
			writeRef.current(text);
		}
	}, []);
	const clockRef = useRef<FrameClock | undefined>(undefined);
	clockRef.current ??= new FrameClock(frameMs, () => {
		const lines = scrollback.current === '' ? 0 : 1;
		if (dirty.current) {
			// The lines go out right after the render (below), above the new frame.
			dirty.current = false;
			setFrameNumber(frame => frame + 1);
			return lines + 1;
		}

		writeScrollback();
		return lines;
	});
	const clock = clockRef.current;
	// After every render: the lines collected until now, and the frame just drawn under them.
	useLayoutEffect(writeScrollback);

	const requestFrame = useCallback(() => {
		dirty.current = true;
		clock.request();
	}, [clock]);

	useEffect(() => {
		const unsubscribe = session.subscribe(requestFrame);
		// The session may have moved between the first render and the subscription.
		requestFrame();
		return () => {
			unsubscribe();
			clock.stop();
		};
	}, [session, clock, requestFrame]);

	const push = useCallback(
		(item: ScrollItem) => {
			scrollback.current += formatScrollItem(item);
			clock.request();
		},
		[clock],
	);

		const flush = useCallback(() => {
		clock.stop();
		writeScrollback();
	}, [clock, writeScrollback]);

	return {push, requestFrame, flush};
}
