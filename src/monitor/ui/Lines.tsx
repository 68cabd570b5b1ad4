import {Text} from 'ink';
import {Fragment, memo, type ReactNode} from 'react';
import {displayWidth} from './live-terminal.js';
import {plainText, type Colour, type Segment} from './screen-text.js';

/** One line of a block: its styled runs, and a colour for the whole line (a failed transition's red). */
export type BlockLine = {
	readonly segments: readonly Segment[];
	readonly color?: Colour;
};

function runs(segments: readonly Segment[]): ReactNode[] {
	// The runs of a line are positional: their index is their identity. A run with no style is
	// plain text (Ink would apply no style to it either).
	return segments.map((segment, index) =>
		segment.color === undefined && !segment.bold && !segment.dim ? (
			segment.text
		) : (
			<Text key={index} color={segment.color} bold={segment.bold} dimColor={segment.dim}>
				{segment.text}
			</Text>
		),
	);
}

function styledLine({segments, color}: BlockLine): ReactNode {
	return color === undefined ? runs(segments) : <Text color={color}>{runs(segments)}</Text>;
}

/** Lines that go into one `<Text>`: several that fit the box, or one that Ink must cut. */
export type TextBlock = {readonly lines: readonly BlockLine[]; readonly cut: boolean};

/**
 * The lines as `<Text>` blocks: consecutive lines that fit in `room` columns share one, a
 * wider line has one of its own. Empty lines are left out (an empty `<Text>` takes no row).
 */
export function textBlocks(lines: readonly BlockLine[], room: number): TextBlock[] {
	const blocks: TextBlock[] = [];
	let fitting: BlockLine[] = [];
	for (const line of lines) {
		const text = plainText(line.segments);
		if (text === '') {
			continue;
		}

		if (displayWidth(text) <= room) {
			fitting.push(line);
			continue;
		}

		if (fitting.length > 0) {
			blocks.push({lines: fitting, cut: false});
			fitting = [];
		}

		blocks.push({lines: [line], cut: true});
	}

	if (fitting.length > 0) {
		blocks.push({lines: fitting, cut: false});
	}

	return blocks;
}

/**
 * Lines of one box, one under the other, each cut at the box's edge (`room` columns), never
 * wrapped. Ink lays out and draws every `<Text>` at a fixed cost per frame (its layout node,
 * its measure, its write into the frame's grid: ~0.5M instructions each, more than the text in
 * it), so the lines that fit go into one `<Text>`, joined by newlines: Ink draws them the same,
 * as there is nothing to wrap. A line wider than the box gets a `<Text>` of its own, which Ink
 * cuts (`truncate-end`) as it always did.
 */
function Lines({lines, room}: {readonly lines: readonly BlockLine[]; readonly room: number}) {
	return textBlocks(lines, room).map((block, index) =>
		block.cut ? (
			// Blocks are positional: their index is their identity.
			<Text key={index} wrap="truncate-end" color={block.lines[0]!.color}>
				{runs(block.lines[0]!.segments)}
			</Text>
		) : (
			<Text key={index}>
				{block.lines.map((line, at) => (
					<Fragment key={at}>
						{at > 0 ? '\n' : null}
						{styledLine(line)}
					</Fragment>
				))}
			</Text>
		),
	);
}

export default memo(Lines);
