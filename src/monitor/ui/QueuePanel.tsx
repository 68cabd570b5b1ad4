import {Box} from 'ink';
import {memo} from 'react';
import type {EngineState, Side} from '../../engine/states.js';
import type {SideQueue} from '../queue-model.js';
import {innerWidth} from './layout.js';
import Line from './Line.js';
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
	return (
		<Box flexDirection="column" width={width} flexShrink={0} {...(boxed ? {borderStyle: 'round', borderColor: 'gray', paddingX: padding} : {})}>
			<Line segments={header(side, state, queue, room)} />
			{queue.jobs.slice(0, shown).map(job => (
				<Line key={job.id} segments={jobSegments(job, now, room)} />
			))}
			{shown < queue.jobs.length ? <Line segments={[moreJobs(queue.jobs, shown)]} /> : null}
			{queue.jobs.length === 0 && boxed ? <Line segments={[{text: idleNote ?? 'no jobs', dim: true}]} /> : null}
			{last ? <Line segments={[last]} /> : null}
		</Box>
	);
}

/** Redrawn only when its props change (the screen renders every frame). */
export default memo(QueuePanel);
