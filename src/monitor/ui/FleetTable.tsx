import {Box} from 'ink';
import type {GuestRow} from '../fleet/guest-rows.js';
import Line from './Line.js';
import {tableNameMax, tableNameWidth, tableRow, tableTitle} from './fleet-table.js';

export type FleetTableProps = {
	readonly rows: readonly GuestRow[];
	readonly focus: string | undefined;
	/** The first row in view and how many are (fleet-table.ts decides both). */
	readonly start: number;
	readonly shown: number;
};

/** The compact fleet table above the focused guest's panels: a title line, then one line per guest in view. */
export default function FleetTable({rows, focus, start, shown}: FleetTableProps) {
	const nameWidth = tableNameWidth(rows);
	return (
		<Box flexDirection="column">
			<Line segments={tableTitle(rows, start, shown)} />
			{rows.slice(start, start + shown).map(row => (
				<Line
					key={row.name}
					segments={tableRow(
						{...row, name: row.name.length > tableNameMax ? `${row.name.slice(0, tableNameMax - 1)}…` : row.name},
						row.name === focus,
						nameWidth,
					)}
				/>
			))}
		</Box>
	);
}
