import {Box, Text, useApp} from 'ink';
import {memo, useMemo, useRef} from 'react';
import {escapeLine} from '../escape.js';
import type {MonitorSession} from '../session-api.js';
import {CommandEcho} from './command-echo.js';
import {completeWord} from './completion.js';
import {defaultFrameMs} from './frame-clock.js';
import type {HistoryFile} from './history-file.js';
import {planScreen, type ScreenPlan} from './layout.js';
import Line from './Line.js';
import type {LiveTerminal} from './live-terminal.js';
import type {LineState} from './line-editor.js';
import FleetTable from './FleetTable.js';
import {fleetLogEntry, targetPrompt} from './fleet-screen.js';
import {fleetTableHeight, tableStart} from './fleet-table.js';
import Prompt from './Prompt.js';
import QueuePanel from './QueuePanel.js';
import StatusLine from './StatusLine.js';
import {liveLog} from './screen-model.js';
import {isBusy, type ScreenSnapshot} from './screen-store.js';
import {headerSegments, plainText, statusParts, joined, summarySegments, width} from './screen-text.js';
import TransitionLog from './TransitionLog.js';
import {useAgeClock} from './use-age-clock.js';
import {useProgress} from './use-progress.js';
import {useBacklog} from './use-backlog.js';
import {useFleetTable} from './use-fleet-table.js';
import {useLineEditor} from './use-line-editor.js';
import {useScreenFrame} from './use-screen-frame.js';

export const keysHint = 'Tab completes · ↑/↓ history · Ctrl-C clears the line (twice quits) · quit or Ctrl-D exits';
export const quitHint = '(press Ctrl-C again to quit, or type quit)';

/** Never changes: rendered once. */
const KeysHint = memo(() => (
	<Text dimColor wrap="truncate-end">
		{keysHint}
	</Text>
));

export type AppProps = {
	readonly session: MonitorSession;
	readonly history: readonly string[];
	/** Where submitted lines are appended; none in component tests. */
	readonly historyFile?: HistoryFile;
	readonly frameMs?: number;
	/** Where the frames go (Ink renders into its `frameSink`). */
	readonly terminal: LiveTerminal;
};

/** The layout for this snapshot: what fits the window (see layout.ts). */
export function planFor(snapshot: ScreenSnapshot, hint: boolean, notice = false): ScreenPlan {
	const {model, fleet} = snapshot;
	const headerWidth = Math.max(
		width(headerSegments('client', model.clientState, model.client, ' ')),
		width(headerSegments('server', model.serverState, model.server, ' ')),
	);
	return planScreen({
		columns: snapshot.columns,
		// The fleet table takes its rows first; the focused guest's parts fit in the rest.
		rows: snapshot.rows - (fleet ? fleetTableHeight(fleet.rows.length, snapshot.rows) : 0),
		statusWidth: plainText(joined(statusParts(snapshot.status))).length,
		headerWidth,
		client: {jobs: model.client.jobs.length, hasLast: model.client.recent.length > 0},
		server: {jobs: model.server.jobs.length, hasLast: model.server.recent.length > 0},
		logEntries: fleet ? fleet.log.length : liveLog(model, model.transitionsMax).length,
		hint,
		notice,
	});
}

/** Status line, panels, log, hints and prompt, as the plan lays them out (exported for the layout tests). */
export function LiveRegion({
	snapshot,
	line,
	notice,
	tableScroll,
}: {
	readonly snapshot: ScreenSnapshot;
	readonly line: LineState;
	readonly notice?: string;
	/** The fleet table's first row as the operator scrolled it (the focus stays in view). */
	readonly tableScroll?: number | undefined;
}) {
	const {model, status, columns, now, hint, fleet} = snapshot;
	const plan = planFor(snapshot, hint !== undefined, notice !== undefined);
	const log = useMemo(
		() => (plan.logLines > 0 ? (fleet ? fleet.log.slice(-plan.logLines).map(item => fleetLogEntry(item)) : liveLog(model, plan.logLines)) : []),
		[model, fleet, plan.logLines],
	);
	const tableHeight = fleet ? fleetTableHeight(fleet.rows.length, snapshot.rows) : 0;
	const focusIndex = fleet ? fleet.rows.findIndex(row => row.name === fleet.focus) : -1;
	const tableFirst = fleet ? tableStart(fleet.rows.length, tableHeight - 1, focusIndex, tableScroll) : 0;
	const half = plan.panels === 'side' ? Math.floor(columns / 2) : columns;
	const panel = {now, boxed: plan.boxed, padding: plan.padding, jobRows: plan.jobRows, showLast: plan.showLast};
	return (
		<Box flexDirection="column" width={columns}>
			{fleet && tableHeight > 0 ? <FleetTable rows={fleet.rows} focus={fleet.focus} start={tableFirst} shown={tableHeight - 1} /> : null}
			{plan.statusLines > 0 ? <StatusLine status={status} lines={plan.statusLines === 2 ? 2 : 1} /> : null}
			{plan.summary ? <Line segments={summarySegments(status, model.clientState, model.client, model.serverState, model.server)} /> : null}
			{plan.panels === 'none' ? null : (
				<Box flexDirection={plan.panels === 'side' ? 'row' : 'column'}>
					<QueuePanel side="client" state={model.clientState} queue={model.client} width={half} {...panel} />
					<QueuePanel
						side="server"
						state={model.serverState}
						queue={model.server}
						width={plan.panels === 'side' ? columns - half : columns}
						{...panel}
						{...(status.protocol === 'qga' ? {idleNote: 'qemu-ga never calls the host'} : {})}
					/>
				</Box>
			)}
			{plan.logLines > 0 ? <TransitionLog entries={log} /> : null}
			{plan.notice ? <Line segments={[{text: notice!, color: 'yellow'}]} /> : null}
			{plan.keysHint ? <KeysHint /> : null}
			<Prompt
				line={line}
				hint={plan.hint ? hint : undefined}
				columns={columns}
				{...(snapshot.target === undefined ? {} : {prompt: targetPrompt(snapshot.target)})}
			/>
		</Box>
	);
}

/**
 * The screen: scrollback above; status line, both queues, the transition log and the prompt
 * live. Only the frame clock renders it, from the session's latest status and model, the line
 * and the hint.
 */
export function App({session, history, historyFile, frameMs = defaultFrameMs, terminal}: AppProps) {
	const {exit: exitApp} = useApp();
	const {snapshot, push, requestFrame, setHint, flush} = useScreenFrame(session, terminal, frameMs);
	const backlog = useBacklog(session, requestFrame);
	const progress = useProgress(session, requestFrame);
	useAgeClock(isBusy(snapshot.model), requestFrame);

	const exit = () => {
		flush();
		exitApp();
	};
	const interruptArmed = useRef(false);
	const echo = useRef(new CommandEcho()).current;

	const line = useLineEditor(history, {
		onSubmit(text, newHistory, added) {
			const target = session.targetName;
			push({kind: 'echo', text, ...(target === undefined ? {} : {prompt: targetPrompt(target)})});
			if (text.trim() === '') {
				echo.interrupted();
				return;
			}

			if (added) {
				void historyFile?.append(text, newHistory);
			}

			const command = echo.submitted();
			// Asynchronous: the prompt stays usable while the command waits. Through the shell's backlog,
			// so a pasted batch runs in typed order and never overfills the engine's queue.
			void backlog.submit(text).then(({outcome}) => {
				for (const item of echo.outcome(command, text, outcome)) {
					push(item);
				}

				if (session.quitRequested) {
					exit();
				}
			});
		},
		onComplete(before) {
			const {text, list} = completeWord(before, session.complete(before));
			setHint(list.length > 0 ? list.map(candidate => escapeLine(candidate)).join('  ') : undefined);
			return text;
		},
		onInterrupt(text) {
			if (text === '' && interruptArmed.current) {
				exit();
				return;
			}

			interruptArmed.current = text === '';
			setHint(text === '' ? quitHint : undefined);
		},
		onEof() {
			exit();
		},
		onClearScreen() {
			// Ctrl-L as in bash: the terminal's clear (the scrollback stays), then the live region again.
			// Through the LiveTerminal: it must forget the frame it drew (Ink's stdout is only a frame sink).
			terminal.clearScreen();
			requestFrame();
		},
		onKey() {
			interruptArmed.current = false;
			setHint(undefined);
		},
		onChange: requestFrame,
	});

	const tableScroll = useFleetTable(session, snapshot, requestFrame, push, echo);
	const waiting = backlog.state.waiting;
	const notice = waiting > 0 ? `backlog: ${waiting} waiting (at most ${backlog.state.capacity})` : progress;
	return <LiveRegion snapshot={snapshot} line={line} notice={notice} tableScroll={tableScroll} />;
}
