import {useEffect, useRef} from 'react';
import {sessionBacklog, type Backlog} from '../backlog.js';
import type {MonitorSession} from '../session-api.js';

/**
 * The shell's backlog for this screen (created once, disposed with the screen): lines go in with
 * `submit`, and `onChange` asks for a frame whenever its count moves (`backlog.state.waiting`).
 */
export function useBacklog(session: MonitorSession, onChange: () => void): Backlog {
	const backlogRef = useRef<ReturnType<typeof sessionBacklog> | undefined>(undefined);
	backlogRef.current ??= sessionBacklog(session);
	const backlog = backlogRef.current;
	useEffect(() => backlog.subscribe(onChange), [backlog, onChange]);
	useEffect(
		() => () => {
			backlog.dispose();
		},
		[backlog],
	);
	return backlog;
}
