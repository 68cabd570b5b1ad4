import {Box, Text} from 'ink';
import {clockTime} from './format.js';
import {safeInline} from './safe-text.js';
import type {LogLine} from './screen-model.js';

const toneColor: {readonly [T in LogLine['tone']]: string | undefined} = {state: undefined, failed: 'red', channel: 'blue', warn: 'yellow'};

export type TransitionLogProps = {
	readonly lines: readonly LogLine[];
};

/** The latest state changes, timestamped: `12:03:04.123 client IDLE→SEND #7 va.getfile`. */
export default function TransitionLog({lines}: TransitionLogProps) {
	return (
		<Box flexDirection="column">
			<Text dimColor>transitions</Text>
			{lines.length === 0 ? <Text dimColor>(none yet)</Text> : null}
			{lines.map((line, index) => (
				// eslint-disable-next-line react/no-array-index-key -- a ring: position is identity
				<Text key={index} wrap="truncate-end" color={toneColor[line.tone]}>
					<Text dimColor>{clockTime(line.at)}</Text> {safeInline(line.text)}
				</Text>
			))}
		</Box>
	);
}
