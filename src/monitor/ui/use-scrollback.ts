import {useCallback, useEffect, useRef, useState} from 'react';
import {defaultFrameMs} from './use-screen-model.js';

export type ScrollItem = {
	readonly id: number;
	readonly kind: 'echo' | 'output' | 'error' | 'note';
	readonly text: string;
};

export type NewScrollItem = Omit<ScrollItem, 'id'>;

/**
 * Finished output for `<Static>`: items pushed in a burst are handed to React once a frame, so
 * a flood of outcomes does not copy the whole scrollback on every line.
 */
export function useScrollback(frameMs = defaultFrameMs): {readonly items: readonly ScrollItem[]; push(item: NewScrollItem): void} {
	const [items, setItems] = useState<readonly ScrollItem[]>([]);
	const pending = useRef<ScrollItem[]>([]);
	const nextId = useRef(1);
	const timer = useRef<NodeJS.Timeout | undefined>(undefined);

	useEffect(
		() => () => {
			clearTimeout(timer.current);
		},
		[],
	);

	const push = useCallback(
		(item: NewScrollItem) => {
			pending.current.push({...item, id: nextId.current++});
			timer.current ??= setTimeout(() => {
				timer.current = undefined;
				const added = pending.current.splice(0);
				setItems(previous => [...previous, ...added]);
			}, frameMs);
		},
		[frameMs],
	);

	return {items, push};
}
