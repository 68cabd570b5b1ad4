import {Box, Text} from 'ink';
import {promptView, type LineState} from './line-editor.js';
import {promptText} from './scrollback.js';

export {promptText} from './scrollback.js';

/** Inverse video by hand: the cursor cell must show even when colours are off (chalk level 0). */
const inverse = (text: string) => `\u001B[7m${text}\u001B[27m`;

export type PromptProps = {
	readonly line: LineState;
	/** A one-shot line under the prompt: completion candidates, the Ctrl-C hint. */
	readonly hint: string | undefined;
	readonly columns: number;
	/** Instead of `(virtagent) `: `(virtagent web1) ` when commands go to one guest of several. */
	readonly prompt?: string;
};

/**
 * The part of the line that fits after the prompt with the cursor in view: a long line scrolls
 * sideways (as readline does) instead of wrapping onto rows the layout did not count.
 */
export function visiblePart(text: string, cursor: number, room: number): {before: string; under: string; after: string} {
	const fit = Math.max(2, room);
	const start = text.length < fit ? 0 : Math.max(0, cursor - fit + 1);
	const shown = text.slice(start, start + fit);
	const at = cursor - start;
	const before = start > 0 && at > 0 ? `…${shown.slice(1, at)}` : shown.slice(0, at);
	return {before, under: shown.slice(at, at + 1) || ' ', after: shown.slice(at + 1)};
}

/** `(virtagent) ` (or Ctrl-R's search) and the line being edited, the cursor drawn as an inverse cell. */
export default function Prompt({line, hint, columns, prompt = promptText}: PromptProps) {
	const {prefix, text, cursor} = promptView(line, prompt);
	const {before, under, after} = visiblePart(text, cursor, columns - prefix.length);
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end">
				<Text bold>{prefix}</Text>
				{before}
				{inverse(under)}
				{after}
			</Text>
			{hint ? (
				<Text dimColor wrap="truncate-end">
					{hint}
				</Text>
			) : null}
		</Box>
	);
}
