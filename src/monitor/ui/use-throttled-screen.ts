import {useCallback, useEffect, useRef, useState} from 'react';
import type {MonitorSession} from '../session-api.js';
import {foldEvent, initialModel, type ScreenModel} from './screen-model.js';

/** 30 frames a second at most, whatever the event rate. */
export const defaultFrameMs = 33;

export type ScrollItem = {
	readonly id: number;
	readonly kind: 'echo' | 'output' | 'error' | 'note';
	readonly text: string;
};

export type NewScrollItem = Omit<ScrollItem, 'id'>;

export type ThrottledScreen = {
	readonly model: ScreenModel;
	/** Finished output for `<Static>`. */
	readonly scrollback: readonly ScrollItem[];
	/** Add a finished line; it is drawn with the next frame. */
	push(item: NewScrollItem): void;
};

type Frame = {readonly model: ScreenModel; readonly scrollback: readonly ScrollItem[]};

/**
 * The screen's data, redrawn at most once a frame: session events are folded into the model as
 * they come (cheap), scrollback lines are collected, and one timer hands both to React together.
 * A burst of thousands of events costs a few renders, not thousands.
 */
export function useThrottledScreen(session: MonitorSession, frameMs = defaultFrameMs): ThrottledScreen {
	const modelRef = useRef<ScreenModel | undefined>(undefined);
	modelRef.current ??= initialModel(session.status, session.model);
	const pending = useRef<ScrollItem[]>([]);
	const nextId = useRef(1);
	const timer = useRef<NodeJS.Timeout | undefined>(undefined);
	const lastFrame = useRef(0);
	const [frame, setFrame] = useState<Frame>({model: modelRef.current, scrollback: []});

	const requestFrame = useCallback(() => {
		timer.current ??= setTimeout(
			() => {
				timer.current = undefined;
				lastFrame.current = Date.now();
				const added = pending.current.splice(0);
				setFrame(previous => ({model: modelRef.current!, scrollback: added.length > 0 ? [...previous.scrollback, ...added] : previous.scrollback}));
			},
			Math.max(0, lastFrame.current + frameMs - Date.now()),
		);
	}, [frameMs]);

	useEffect(() => {
		const unsubscribe = session.subscribe(event => {
			modelRef.current = foldEvent(modelRef.current!, event);
			requestFrame();
		});
		// The session may have moved between the first render and the subscription.
		modelRef.current = initialModel(session.status, session.model);
		requestFrame();
		return () => {
			unsubscribe();
			clearTimeout(timer.current);
			timer.current = undefined;
		};
	}, [session, requestFrame]);

	const push = useCallback(
		(item: NewScrollItem) => {
			pending.current.push({...item, id: nextId.current++});
			requestFrame();
		},
		[requestFrame],
	);

	return {model: frame.model, scrollback: frame.scrollback, push};
}
