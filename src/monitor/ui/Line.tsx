import {Text} from 'ink';
import {memo} from 'react';
import type {Segment} from './screen-text.js';

/** One line of the live region: styled runs, cut at the edge of its box, never wrapped. */
function Line({segments}: {readonly segments: readonly Segment[]}) {
	return (
		<Text wrap="truncate-end">
			{segments.map((segment, index) => (
				// The runs of a line are positional: their index is their identity.
				<Text key={index} color={segment.color} bold={segment.bold} dimColor={segment.dim}>
					{segment.text}
				</Text>
			))}
		</Text>
	);
}

export default memo(Line);
