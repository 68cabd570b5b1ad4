import {useEffect, useState} from 'react';

/**
 * Now, for job ages: read at every render, with a redraw every `intervalMs` while `ticking`.
 * Starting or stopping the clock draws nothing by itself (a burst of short jobs must not
 * add a frame per job).
 */
export function useNow(ticking: boolean, intervalMs = 250): number {
	const [, setTicks] = useState(0);
	useEffect(() => {
		if (!ticking) {
			return;
		}

		const timer = setInterval(() => {
			setTicks(ticks => ticks + 1);
		}, intervalMs);
		return () => {
			clearInterval(timer);
		};
	}, [ticking, intervalMs]);
	return Date.now();
}
