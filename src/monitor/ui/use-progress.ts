import {useEffect, useRef} from 'react';
import type {MonitorSession} from '../session-api.js';

/**
 * The latest progress line of a long command (agent_getfile's bar, rate and ETA), for the live
 * region; undefined when none is running. `onChange` asks for a frame; the frame clock bounds
 * how often one is drawn, however fast the copy reports.
 */
export function useProgress(session: MonitorSession, onChange: () => void): string | undefined {
	const latest = useRef<string | undefined>(undefined);
	useEffect(
		() =>
			session.subscribe(event => {
				if (event.type === 'progress') {
					latest.current = event.text === '' ? undefined : event.text;
					onChange();
				}
			}),
		[session, onChange],
	);
	return latest.current;
}
