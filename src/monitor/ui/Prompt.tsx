import {Box, Text} from 'ink';
import type {LineState} from './line-editor.js';

export const promptText = '(virtagent) ';

export type PromptProps = {
	readonly line: LineState;
	/** A one-shot line under the prompt: completion candidates, the Ctrl-C hint. */
	readonly hint: string | undefined;
};

/** `(virtagent) ` and the line being edited, the cursor drawn as an inverse cell. */
export default function Prompt({line, hint}: PromptProps) {
	const before = line.text.slice(0, line.cursor);
	const under = line.text.slice(line.cursor, line.cursor + 1) || ' ';
	const after = line.text.slice(line.cursor + 1);
	return (
		<Box flexDirection="column">
			<Text>
				<Text bold>{promptText}</Text>
				{before}
				<Text inverse>{under}</Text>
				{after}
			</Text>
			{hint ? <Text dimColor>{hint}</Text> : null}
		</Box>
	);
}
