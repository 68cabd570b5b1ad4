import {ReadStream} from 'node:tty';
import {format} from 'node:util';
import {render, type Instance, type RenderOptions} from 'ink';
import type {MonitorSession} from '../session-api.js';
import {App} from './app.js';
import {defaultFrameMs} from './frame-clock.js';
import {defaultHistoryFile, HistoryFile, historyFileProblem, loadHistory} from './history-file.js';
import {LiveTerminal, type TerminalStream} from './live-terminal.js';

export type ScreenOptions = {
	readonly history?: readonly string[];
	readonly historyFile?: HistoryFile;
	readonly frameMs?: number;
	readonly stdin?: NodeJS.ReadStream;
	readonly stdout?: TerminalStream;
	readonly onRender?: RenderOptions['onRender'];
	/** Show console.* output above the live region (default true; off under test runners that own console). */
	readonly patchConsole?: boolean;
};

export type MountedScreen = {
	readonly instance: Instance;
	readonly terminal: LiveTerminal;
	/** Resolves once the App has exited and the terminal is left clean. */
	readonly exited: Promise<void>;
};

/** console.* while the screen runs: above the live region, like any finished line. */
function patchConsole(terminal: LiveTerminal): () => void {
	const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
	const saved = methods.map(name => console[name]);
	for (const name of methods) {
		console[name] = (...args: unknown[]) => {
			terminal.scroll(`${format(...args)}\n`);
			terminal.draw();
		};
	}

	return () => {
		for (const [index, name] of methods.entries()) {
			console[name] = saved[index]!;
		}
	};
}

/**
 * The App on a terminal: Ink renders it in debug mode into the terminal's frame sink (one frame
 * text per render, nothing written by Ink itself) and the LiveTerminal draws it.
 */
export function mountScreen(session: MonitorSession, options: ScreenOptions = {}): MountedScreen {
	const terminal = new LiveTerminal(options.stdout ?? process.stdout);
	const restoreConsole = options.patchConsole === false ? () => undefined : patchConsole(terminal);
	const frameMs = options.frameMs ?? defaultFrameMs;
	const instance = render(<App session={session} history={options.history ?? []} historyFile={options.historyFile} frameMs={frameMs} terminal={terminal} />, {
		stdout: terminal.frameSink,
		debug: true,
		exitOnCtrlC: false,
		patchConsole: false,
		...(options.stdin ? {stdin: options.stdin} : {}),
		...(options.onRender ? {onRender: options.onRender} : {}),
	});
	const exited = instance.waitUntilExit().then(
		() => undefined,
		() => undefined,
	);
	const finished = exited.finally(() => {
		restoreConsole();
		terminal.close();
	});
	return {instance, terminal, exited: finished};
}

/**
 * The terminal's input for the screen: stdin's terminal as a stream that keeps reading while
 * the screen listens. process.stdin reads a terminal with a high-water mark of 0: each chunk
 * stops the read and Ink's next read() starts it again, two epoll_ctl calls and Node's stream
 * work per keystroke or pasted chunk. Undefined when stdin is not a terminal.
 */
function terminalInput(): ReadStream | undefined {
	if (!process.stdin.isTTY) {
		return undefined;
	}

	// Node takes readableHighWaterMark here (net.Socket's options); its types list fewer.
	return new ReadStream(0, {readableHighWaterMark: 64 * 1024} as ConstructorParameters<typeof ReadStream>[1]);
}

export type InteractiveOptions = {
	/** History file; default `~/.virtagent_history`. */
	readonly historyFile?: string;
	/** Where a history file problem is told before the screen starts (default process.stderr). */
	readonly stderr?: {write(text: string): unknown};
} & Omit<ScreenOptions, 'history' | 'historyFile'>;

/**
 * Run the interactive screen on a TTY until `quit`, Ctrl-D or a second Ctrl-C; resolves with
 * the exit code. The caller owns the session (and closes it afterwards).
 */
export async function startInteractive(session: MonitorSession, options: InteractiveOptions = {}): Promise<number> {
	const file = options.historyFile ?? defaultHistoryFile();
	const history = await loadHistory(file);
	// An unwritable history is said, not silently ignored: before the screen starts, and (through
	// the patched console, above the live region) if a later write fails.
	const problem = await historyFileProblem(file);
	if (problem !== undefined) {
		(options.stderr ?? process.stderr).write(`virtagent monitor: ${problem}\n`);
	}

	const historyFile = new HistoryFile(file, history.length, undefined, message => {
		if (problem === undefined) {
			console.error(`virtagent monitor: ${message}`);
		}
	});
	const input = options.stdin ? undefined : terminalInput();
	const {exited} = mountScreen(session, {...options, history, historyFile, ...(input ? {stdin: input} : {})});
	await exited;
	input?.destroy();
	await historyFile.flushed();
	return 0;
}
