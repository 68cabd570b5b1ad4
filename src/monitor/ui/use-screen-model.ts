import {useEffect, useRef, useState} from 'react';
import type {MonitorSession} from '../session-api.js';
import {foldEvent, initialModel, type ScreenModel} from './screen-model.js';

/** 30 frames a second at most, whatever the event rate. */
export const defaultFrameMs = 33;

/**
 * The session's events folded into the screen model as they come (cheap), with React told at
 * most once a frame: a burst of thousands of events costs a few renders, not thousands.
 */
export function useScreenModel(session: MonitorSession, frameMs = defaultFrameMs): ScreenModel {
	const modelRef = useRef<ScreenModel | undefined>(undefined);
	modelRef.current ??= initialModel(session.status);
	const [snapshot, setSnapshot] = useState(modelRef.current);

	useEffect(() => {
		let timer: NodeJS.Timeout | undefined;
		let lastFrame = 0;
		const frame = () => {
			timer = undefined;
			lastFrame = Date.now();
			setSnapshot(modelRef.current!);
		};

		const unsubscribe = session.subscribe(event => {
			modelRef.current = foldEvent(modelRef.current!, event);
			timer ??= setTimeout(frame, Math.max(0, lastFrame + frameMs - Date.now()));
		});
		// The status may have moved between the first render and the subscription.
		modelRef.current = {...modelRef.current!, status: session.status};
		frame();
		return () => {
			unsubscribe();
			clearTimeout(timer);
		};
	}, [session, frameMs]);

	return snapshot;
}

/** The current time, refreshed every `intervalMs` while `ticking` (job ages); idle costs nothing. */
export function useNow(ticking: boolean, intervalMs = 250): number {
	const [now, setNow] = useState(() => Date.now());
	useEffect(() => {
		if (!ticking) {
			return;
		}

		setNow(Date.now());
		const timer = setInterval(() => {
			setNow(Date.now());
		}, intervalMs);
		return () => {
			clearInterval(timer);
		};
	}, [ticking, intervalMs]);
	return ticking ? now : Date.now();
}
