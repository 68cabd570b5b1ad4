import {useInput} from 'ink';
import {useEffect, useRef, useState} from 'react';
import type {MonitorSession} from '../session-api.js';
import type {CommandEcho} from './command-echo.js';
import {fleetTableHeight, tableStart} from './fleet-table.js';
import type {ScreenSnapshot} from './screen-store.js';
import type {ScrollItem} from './scrollback.js';

/**
 * The fleet table's behaviour: PgUp/PgDn scroll it (a `use` that moves the focus brings the
 * focused guest back into view), and each guest's result of a fan-out goes above the live
 * region as it arrives. Returns where the operator scrolled to, undefined to follow the focus.
 */
export function useFleetTable(
	session: MonitorSession,
	snapshot: ScreenSnapshot,
	requestFrame: () => void,
	push: (item: ScrollItem) => void,
	echo: CommandEcho,
): number | undefined {
	const [scrolled, setScrolled] = useState<number | undefined>(undefined);
	const latest = useRef(snapshot);
	latest.current = snapshot;
	const focus = snapshot.fleet?.focus;
	useEffect(() => {
		setScrolled(undefined);
	}, [focus]);

	useEffect(
		() =>
			session.subscribe(event => {
				if (event.type === 'part') {
					echo.interrupted();
					push({kind: event.outcome.ok ? 'output' : 'error', text: event.outcome.text});
				}
			}),
		[session, push, echo],
	);

	// Listening only with a fleet: Ink parses every chunk of input again for each listener.
	useInput(
		(_input, key) => {
			const {fleet, rows} = latest.current;
			if (!fleet || !(key.pageUp || key.pageDown)) {
				return;
			}

			const shown = fleetTableHeight(fleet.rows.length, rows) - 1;
			const focusIndex = fleet.rows.findIndex(row => row.name === fleet.focus);
			setScrolled(current => {
				const start = tableStart(fleet.rows.length, shown, focusIndex, current);
				return tableStart(fleet.rows.length, shown, focusIndex, start + (key.pageUp ? -shown : shown));
			});
			requestFrame();
		},
		{isActive: snapshot.fleet !== undefined},
	);
	return scrolled;
}
