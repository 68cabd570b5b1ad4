import {Box} from 'ink';
import {memo} from 'react';
import type {SessionStatus} from '../session-api.js';
import Line from './Line.js';
import {joined, statusParts} from './screen-text.js';

export type StatusLineProps = {
	readonly status: SessionStatus;
	/** One line, or two (the guest, or the connection, on the second) when one does not fit. */
	readonly lines: 1 | 2;
};

/** Channel, connection state, and what the guest said about itself (only while connected). */
function StatusLine({status, lines}: StatusLineProps) {
	const parts = statusParts(status);
	if (lines === 1 || parts.length < 2) {
		return <Line segments={joined(parts)} />;
	}

	const split = parts.length === 3 ? 2 : 1;
	return (
		<Box flexDirection="column">
			<Line segments={joined(parts.slice(0, split))} />
			<Line segments={joined(parts.slice(split))} />
		</Box>
	);
}

/** Redrawn only when its props change (the screen renders every frame). */
export default memo(StatusLine);
