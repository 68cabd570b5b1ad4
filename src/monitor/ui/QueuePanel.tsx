import {Box, Text} from 'ink';
import {memo} from 'react';
import type {JobStatus} from '../../engine/events.js';
import type {EngineState, Side} from '../../engine/states.js';
import {escapeLine} from '../escape.js';
import type {SideQueue} from '../queue-model.js';
import {age} from './format.js';

const stateColor: {readonly [S in EngineState]: string} = {IDLE: 'green', SEND: 'yellow', WAIT: 'cyan'};

const statusColor: {readonly [S in JobStatus]?: string} = {queued: 'gray', sending: 'yellow', waiting: 'cyan', running: 'magenta', ready: 'yellow', failed: 'red'};

export type QueuePanelProps = {
	readonly side: Side;
	readonly state: EngineState;
	readonly queue: SideQueue;
	/** Now, for the jobs' ages. */
	readonly now: number;
};

/**
 * One side of the engine: its state (IDLE / SEND / WAIT, coloured), its jobs with id, method,
 * status and age, the queue against its limit, and the last finished job (red if it failed).
 */
function QueuePanel({side, state, queue, now}: QueuePanelProps) {
	const full = queue.queued >= queue.limit;
	const last = queue.recent[0];
	return (
		<Box flexDirection="column" borderStyle="round" borderColor="gray" paddingX={1} flexGrow={1} flexBasis={0}>
			<Box gap={2}>
				<Text bold>{side}</Text>
				<Text color={stateColor[state]} dimColor={state === 'IDLE'} bold={state !== 'IDLE'}>
					{state}
				</Text>
				<Text color={full ? 'red' : undefined}>
					queue {queue.queued}/{queue.limit}
				</Text>
				<Text dimColor>
					done {queue.done} failed {queue.failed}
				</Text>
			</Box>
			{queue.jobs.map(job => (
				<Box key={job.id} gap={1}>
					<Box width={6}>
						<Text>#{job.id}</Text>
					</Box>
					<Box flexGrow={1}>
						<Text wrap="truncate-end">{escapeLine(job.method)}</Text>
					</Box>
					<Box width={8}>
						<Text color={statusColor[job.status]}>{job.status}</Text>
					</Box>
					<Box width={7} justifyContent="flex-end">
						<Text>{age(now - job.createdAt)}</Text>
					</Box>
				</Box>
			))}
			{queue.jobs.length === 0 ? <Text dimColor>no jobs</Text> : null}
			{last ? (
				<Text color={last.status === 'failed' ? 'red' : undefined} dimColor={last.status !== 'failed'} wrap="truncate-end">
					last: #{last.id} {escapeLine(last.method)} {last.status} in {age(last.updatedAt - last.createdAt)}
					{last.error ? `: ${escapeLine(`${last.error.code} ${last.error.message}`)}` : ''}
				</Text>
			) : null}
		</Box>
	);
}

/** Redrawn only when its props change (the screen renders every frame). */
export default memo(QueuePanel);
