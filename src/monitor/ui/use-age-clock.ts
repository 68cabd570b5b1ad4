import {useEffect} from 'react';

/**
 * Job ages move while jobs run: ask for a frame every `intervalMs` while `ticking` (the frame
 * reads the clock). Starting or stopping the clock draws nothing by itself (a burst of short
 * jobs must not add a frame per job).
 */
export function useAgeClock(ticking: boolean, requestFrame: () => void, intervalMs = 250): void {
	useEffect(() => {
		if (!ticking) {
			return;
		}

		const timer = setInterval(requestFrame, intervalMs);
		return () => {
			clearInterval(timer);
		};
	}, [ticking, requestFrame, intervalMs]);
}
