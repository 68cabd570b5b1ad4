import {Box, render, Text, useApp, useStdout, type RenderOptions} from 'ink';
import {memo, useCallback, useMemo, useRef} from 'react';
import {escapeLine} from '../escape.js';
import type {CommandOutcome, MonitorSession} from '../session-api.js';
import {completeWord} from './completion.js';
import {defaultFrameMs} from './frame-clock.js';
import {defaultHistoryFile, HistoryFile, historyFileProblem, loadHistory} from './history-file.js';
import Prompt from './Prompt.js';
import QueuePanel from './QueuePanel.js';
import StatusLine from './StatusLine.js';
import {liveLog} from './screen-model.js';
import TransitionLog from './TransitionLog.js';
import {useAgeClock} from './use-age-clock.js';
import {useBacklog} from './use-backlog.js';
import {useLineEditor} from './use-line-editor.js';
import {useScreenFrame} from './use-screen-frame.js';

export const keysHint = 'Tab completes · ↑/↓ history · Ctrl-C clears the line (twice quits) · quit or Ctrl-D exits';
export const quitHint = '(press Ctrl-C again to quit, or type quit)';

/** Never changes: rendered once. */
const KeysHint = memo(() => <Text dimColor>{keysHint}</Text>);

export type AppProps = {
	readonly session: MonitorSession;
	readonly history: readonly string[];
	/** Where submitted lines are appended; none in component tests. */
	readonly historyFile?: HistoryFile;
	readonly frameMs?: number;
};

/**
 * The screen: scrollback above; status line, both queues, the transition log and the prompt
 * live. Only the frame clock renders it, from the session's latest status and model, the line
 * and the hint.
 */
export function App({session, history, historyFile, frameMs = defaultFrameMs}: AppProps) {
	const {exit: exitApp} = useApp();
	const {write: writeToTerminal} = useStdout();
	const {push, requestFrame, flush} = useScreenFrame(session, frameMs);
	const backlog = useBacklog(session, requestFrame);
	const queue = session.model;
	const busy = queue.client.jobs.length + queue.server.jobs.length > 0;
	useAgeClock(busy, requestFrame);
	const hint = useRef<string | undefined>(undefined);
	const setHint = (text: string | undefined) => {
		hint.current = text;
	};

	const exit = () => {
		flush();
		exitApp();
	};
	const interruptArmed = useRef(false);
	/** The id of the last command whose echo is the newest scrollback line, if any. */
	const lastEcho = useRef<number | undefined>(undefined);
	const nextCommand = useRef(1);

	const showOutcome = useCallback(
		(command: number, line: string, outcome: CommandOutcome) => {
			if (outcome.text === '') {
				return;
			}

			if (lastEcho.current !== command) {
				// Other commands were echoed meanwhile: say which one this output belongs to.
				push({kind: 'note', text: `↳ ${escapeLine(line)}:`});
			}

			lastEcho.current = undefined;
			push({kind: outcome.ok ? 'output' : 'error', text: outcome.text});
		},
		[push],
	);

	const line = useLineEditor(history, {
		onSubmit(text, newHistory, added) {
			push({kind: 'echo', text});
			lastEcho.current = undefined;
			if (text.trim() === '') {
				return;
			}

			if (added) {
				void historyFile?.append(text, newHistory);
			}

			const command = nextCommand.current++;
			lastEcho.current = command;
			// Asynchronous: the prompt stays usable while the command waits in the queue.
			void backlog.submit(text).then(({outcome}) => {
				showOutcome(command, text, outcome);
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
			// Ctrl-L as in bash: the terminal's clear (home, erase the screen; the scrollback stays), then the live region again.
			writeToTerminal('\u001B[H\u001B[2J');
			requestFrame();
		},
		onKey() {
			interruptArmed.current = false;
			setHint(undefined);
		},
		onChange: requestFrame,
	});

	// Job ages only while jobs run: an idle panel's props stay the same from frame to frame.
	const now = busy ? Date.now() : 0;
	const log = useMemo(() => liveLog(queue), [queue]);

	return (
		<Box flexDirection="column">
			<StatusLine status={session.status} />
			<Box>
				<QueuePanel side="client" state={queue.clientState} queue={queue.client} now={now} />
				<QueuePanel side="server" state={queue.serverState} queue={queue.server} now={now} />
			</Box>
			<TransitionLog entries={log} />
			{backlog.state.waiting > 0 ? <Text>backlog: {backlog.state.waiting} waiting (at most {backlog.state.capacity})</Text> : null}
			<KeysHint />
			<Prompt line={line} hint={hint.current} />
		</Box>
	);
}

export type InteractiveOptions = {
	/** History file; default `~/.virtagent_history`. */
	readonly historyFile?: string;
	/** Streams and render hooks, for tests and the render-rate measurement. */
	readonly stdin?: NodeJS.ReadStream;
	readonly stdout?: NodeJS.WriteStream;
	/** Where a history file problem is told before the screen starts (default process.stderr). */
	readonly stderr?: {write(text: string): unknown};
	readonly onRender?: RenderOptions['onRender'];
	/** Route console.* above the live region (default true; off under test runners that own console). */
	readonly patchConsole?: boolean;
};

/**
 * Run the interactive screen on a TTY until `quit`, Ctrl-D or a second Ctrl-C; resolves with
 * the exit code. The caller owns the session (and closes it afterwards).
 */
export async function startInteractive(session: MonitorSession, options: InteractiveOptions = {}): Promise<number> {
	const file = options.historyFile ?? defaultHistoryFile();
	const history = await loadHistory(file);
	// An unwritable history is said, not silently ignored: before the screen starts, and (through
	// Ink's console, above the live region) if a later write fails.
	const problem = await historyFileProblem(file);
	if (problem !== undefined) {
		(options.stderr ?? process.stderr).write(`virtagent monitor: ${problem}\n`);
	}

	const historyFile = new HistoryFile(file, history.length, undefined, message => {
		if (problem === undefined) {
			console.error(`virtagent monitor: ${message}`);
		}
	});
	const instance = render(<App session={session} history={history} historyFile={historyFile} />, {
		exitOnCtrlC: false,
		patchConsole: options.patchConsole ?? true,
		// The frame clock paces the frames; Ink's own throttle is only a safety net behind it.
		maxFps: Math.round(2000 / defaultFrameMs),
		...(options.stdin ? {stdin: options.stdin} : {}),
		...(options.stdout ? {stdout: options.stdout} : {}),
		...(options.onRender ? {onRender: options.onRender} : {}),
	});
	await instance.waitUntilExit();
	await historyFile.flushed();
	return 0;
}
