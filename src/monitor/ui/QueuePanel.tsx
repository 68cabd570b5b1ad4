import {Box} from 'ink';
import {memo} from 'react';
import type {EngineState, Side} from '../../engine/states.js';
import type {SideQueue} from '../queue-model.js';
import {innerWidth} from './layout.js';
import Lines, {type BlockLine} from './Lines.js';
import {header, jobSegments, lastJob, moreJobs} from './screen-text.js';

export type QueuePanelProps = {
	readonly side: Side;
	readonly state: EngineState;
	readonly queue: SideQueue;
	/** Now, for the jobs' ages. */
	readonly now: number;
	/** Columns the panel takes, its border included. */
	readonly width: number;
	readonly boxed: boolean;
	readonly padding: 0 | 1;
	/** Job rows; the other jobs are counted on one line. */
	readonly jobRows: number;
	readonly showLast: boolean;
	/** What an empty boxed panel says instead of `no jobs` (the server side on qemu-ga). */
	readonly idleNote?: string;
};

/**
 * One side of the engine: its state (IDLE / SEND / WAIT, coloured), its jobs with id, method,
 * status and age, the queue against its limit, and the last finished job (red if it failed).
 * Every line is cut to the panel's width: nothing wraps, so the layout's heights hold.
 */
function QueuePanel({side, state, queue, now, width, boxed, padding, jobRows, showLast, idleNote}: QueuePanelProps) {
	const room = boxed ? innerWidth(width, padding) : width;
	const shown = queue.jobs.length <= jobRows ? queue.jobs.length : jobRows;
	const last = showLast ? lastJob(queue) : undefined;
	const lines: BlockLine[] = [{segments: header(side, state, queue, room)}];
	for (const job of queue.jobs.slice(0, shown)) {
		lines.push({segments: jobSegments(job, now, room)});
	}

	if (shown < queue.jobs.length) {
		lines.push({segments: [moreJobs(queue.jobs, shown)]});
	}

	if (queue.jobs.length === 0 && boxed) {
		lines.push({segments: [{text: idleNote ?? 'no jobs', dim: true}]});
	}

	if (last) {
		lines.push({segments: [last]});
	}

	return (
		<Box flexDirection="column" width={width} flexShrink={0} {...(boxed ? {borderStyle: 'round', borderColor: 'gray', paddingX: padding} : {})}>
			<Lines lines={lines} room={room} />
		</Box>
	);
}

/** Redrawn only when its props change (the screen renders every frame). */
export default memo(QueuePanel);
