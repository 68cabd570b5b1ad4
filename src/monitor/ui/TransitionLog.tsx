import {Box, Text} from 'ink';
import {memo} from 'react';
import {escapeLine} from '../escape.js';
import type {TransitionEntry} from '../queue-model.js';
import {clockTime} from './format.js';
import {isFailure} from './screen-model.js';

function colour(entry: TransitionEntry): string | undefined {
	if (isFailure(entry)) {
		return 'red';
	}

	return entry.kind === 'channel' ? 'blue' : undefined;
}

export type TransitionLogProps = {
	readonly entries: readonly TransitionEntry[];
};

/** The latest state changes, timestamped: `12:03:04.123 client IDLE→SEND #7 va.getfile`. One line each: a newline
 * in a method name is shown as `\\n`, never written. */
function TransitionLog({entries}: TransitionLogProps) {
	return (
		<Box flexDirection="column">
			<Text dimColor>transitions</Text>
			{entries.length === 0 ? <Text dimColor>(none yet)</Text> : null}
			{entries.map(entry => (
				<Text key={entry.seq} wrap="truncate-end" color={colour(entry)}>
					<Text dimColor>{clockTime(entry.at)}</Text> {escapeLine(entry.text)}
				</Text>
			))}
		</Box>
	);
}

/** Redrawn only when its props change (the screen renders every frame). */
export default memo(TransitionLog);
