/**
 * Lines puts the lines of a box that fit into one Ink <Text> (Ink's cost is per <Text>, not per
 * character). What the operator sees must not change: for any lines, styles and width, Ink draws
 * exactly what it drew with one `<Text wrap="truncate-end">` per line, colours included.
 */
import chalk from 'chalk';
import fc from 'fast-check';
import {Box, Text, renderToString} from 'ink';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import Lines, {textBlocks, type BlockLine} from '../../../src/monitor/ui/Lines.js';
import type {Colour} from '../../../src/monitor/ui/screen-text.js';

/** How the screen drew these lines before: one <Text> each, cut by Ink. */
function OneTextPerLine({lines}: {readonly lines: readonly BlockLine[]}) {
	return lines.map((line, index) => (
		// The reference's lines and runs are positional: their index is their identity.
		<Text key={index} wrap="truncate-end" color={line.color}>
			{line.segments.map((segment, at) => (
				<Text key={at} color={segment.color} bold={segment.bold} dimColor={segment.dim}>
					{segment.text}
				</Text>
			))}
		</Text>
	));
}

function drawn(body: React.ReactNode, room: number): string {
	return renderToString(
		<Box flexDirection="column" width={room}>
			{body}
		</Box>,
		{columns: room},
	);
}

const colours: Colour[] = [undefined, 'green', 'yellow', 'cyan', 'red', 'gray', 'blue', 'magenta'];
const segment = fc.record({
	text: fc.oneof(
		fc.constantFrom('', ' ', 'client', 'IDLE→SEND', '#12 va.ping', '● connected', '漢字のメソッド', 'é', '12:03:04.123', '·'),
		fc.string({maxLength: 30, unit: fc.constantFrom('a', 'b', ' ', '→', '漢', '…', 'x', '-')}),
	),
	color: fc.constantFrom(...colours),
	bold: fc.boolean(),
	dim: fc.boolean(),
});
const line = fc.record({segments: fc.array(segment, {maxLength: 5}), color: fc.constantFrom(...colours)});

describe('Lines', () => {
	let level: typeof chalk.level;
	beforeAll(() => {
		level = chalk.level;
		chalk.level = 1;
	});
	afterAll(() => {
		chalk.level = level;
	});

	it('draws what one truncated <Text> per line drew, for any lines, styles and width', () => {
		fc.assert(
			fc.property(fc.array(line, {maxLength: 12}), fc.integer({min: 1, max: 60}), (lines, room) => {
				expect(drawn(<Lines lines={lines} room={room} />, room)).toBe(drawn(<OneTextPerLine lines={lines} />, room));
			}),
			{numRuns: 400},
		);
	});

	it('holds the lines that fit in one <Text>, gives a longer one its own, and leaves out empty ones', () => {
		const short: BlockLine = {segments: [{text: 'short'}]};
		const long: BlockLine = {segments: [{text: 'x'.repeat(15), color: 'red'}, {text: '→ more'}]};
		const wide: BlockLine = {segments: [{text: '漢字'.repeat(3)}]};
		const empty: BlockLine = {segments: [{text: ''}]};
		const blocks = textBlocks([short, {segments: [{text: '→ arrow', dim: true}]}, empty, long, wide, short], 20);
		expect(blocks.map(block => [block.lines.length, block.cut])).toEqual([
			[2, false],
			[1, true],
			[2, false],
		]);
		// Exactly the room fits; one column more is cut (a wide character counts two).
		expect(textBlocks([{segments: [{text: 'x'.repeat(20)}]}], 20)[0]!.cut).toBe(false);
		expect(textBlocks([{segments: [{text: 'x'.repeat(21)}]}], 20)[0]!.cut).toBe(true);
		expect(textBlocks([{segments: [{text: `${'x'.repeat(19)}漢`}]}], 20)[0]!.cut).toBe(true);
	});
});
