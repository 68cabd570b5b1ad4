import {Box, Text} from 'ink';
import {promptView, type LineState} from './line-editor.js';

export const promptText = '(virtagent) ';

export type PromptProps = {
	readonly line: LineState;
	/** A one-shot line under the prompt: completion candidates, the Ctrl-C hint. */
	readonly hint: string | undefined;
};

/** `(virtagent) ` (or Ctrl-R's search) and the line being edited, the cursor drawn as an inverse cell. */
export default function Prompt({line, hint}: PromptProps) {
	const {prefix, text, cursor} = promptView(line, promptText);
	const before = text.slice(0, cursor);
	const under = text.slice(cursor, cursor + 1) || ' ';
	const after = text.slice(cursor + 1);
	return (
		<Box flexDirection="column">
			<Text>
				<Text bold>{prefix}</Text>
				{before}
				<Text inverse>{under}</Text>
				{after}
			</Text>
			{hint ? <Text dimColor>{hint}</Text> : null}
		</Box>
	);
}
