import {Box} from 'ink';
import {memo} from 'react';
import {escapeLine} from '../escape.js';
import type {TransitionEntry} from '../queue-model.js';
import {clockTime} from './format.js';
import type {Colour} from './screen-text.js';
import Lines, {type BlockLine} from './Lines.js';
import {isFailure} from './screen-model.js';

function colour(entry: TransitionEntry): Colour {
	if (isFailure(entry)) {
		return 'red';
	}

	return entry.kind === 'channel' ? 'blue' : undefined;
}

export type TransitionLogProps = {
	readonly entries: readonly TransitionEntry[];
	/** Columns the log may take: a longer line is cut at the edge. */
	readonly width: number;
};

/** The latest state changes, timestamped: `12:03:04.123 client IDLE→SEND #7 va.getfile`. One line each: a newline
 * in a method name is shown as `\\n`, never written. */
function TransitionLog({entries, width}: TransitionLogProps) {
	const lines: BlockLine[] = [{segments: [{text: 'transitions', dim: true}]}];
	if (entries.length === 0) {
		lines.push({segments: [{text: '(none yet)', dim: true}]});
	}

	for (const entry of entries) {
		lines.push({segments: [{text: clockTime(entry.at), dim: true}, {text: ` ${escapeLine(entry.text)}`}], color: colour(entry)});
	}

	return (
		<Box flexDirection="column">
			<Lines lines={lines} room={width} />
		</Box>
	);
}

/** Redrawn only when its props change (the screen renders every frame). */
export default memo(TransitionLog);
