/**
 * The plain line mode: for `TERM=dumb`, for a stdout that is not a terminal, and on request
 * (`--plain`). Lines only, in the order things happen: no cursor movement, no erase codes, no
 * box drawing (colours only when asked for: they follow the colour choice like everywhere).
 * Commands are read a line at a time (the terminal's own line editing) and run asynchronously
 * through the shell's backlog as on the screen (a pasted batch runs in typed order); connection
 * and guest changes are printed as they happen.
 */
import {createInterface} from 'node:readline';
import chalk from 'chalk';
import {sessionBacklog} from '../backlog.js';
import type {MonitorSession, SessionStatus} from '../session-api.js';
import {CommandEcho} from './command-echo.js';
import {clockTime} from './format.js';
import {formatScrollItem, promptText} from './scrollback.js';
import {connectionText, guestText, type Segment} from './screen-text.js';
import {targetPrompt} from './fleet-screen.js';

export type PlainOptions = {
	readonly input?: NodeJS.ReadableStream;
	readonly output?: {write(text: string): unknown};
	/** Print `(virtagent) ` when ready for a line (when the operator types on this terminal). */
	readonly prompt?: boolean;
};

function styled(segment: Segment): string {
	return segment.color ? chalk[segment.color](segment.text) : segment.text;
}

/** The status as lines that changed since `before`: the connection, then the guest. */
export function statusChanges(before: SessionStatus | undefined, after: SessionStatus, at: number): string[] {
	const lines: string[] = [];
	const connection = connectionText(after.connection);
	if (before === undefined || connectionText(before.connection).text !== connection.text) {
		lines.push(`${chalk.dim(clockTime(at))} ${before === undefined ? `${after.channel} ` : ''}${styled(connection)}`);
	}

	const guest = guestText(after.guest, after.connection);
	const previous = before === undefined ? undefined : guestText(before.guest, before.connection);
	if (guest && guest.text !== previous?.text) {
		lines.push(`${chalk.dim(clockTime(at))} ${styled(guest)}`);
	}

	return lines;
}

/** Run until `quit` or the end of input; resolves with the exit code once every command answered. */
export async function startPlain(session: MonitorSession, options: PlainOptions = {}): Promise<number> {
	const output = options.output ?? process.stdout;
	const write = (text: string) => output.write(text);
	const prompt = () => {
		if (options.prompt) {
			// `use NAME` shows in the prompt, as on the screen.
			write(session.targetName === undefined ? promptText : targetPrompt(session.targetName));
		}
	};

	let shown: SessionStatus | undefined;
	const showStatus = () => {
		for (const line of statusChanges(shown, session.status, Date.now())) {
			write(`${line}\n`);
		}

		shown = session.status;
	};

	showStatus();
	const echo = new CommandEcho();
	const unsubscribe = session.subscribe(event => {
		if (event.type === 'status' || event.type === 'hello') {
			showStatus();
		} else if (event.type === 'part') {
			// One guest's result of a fan-out, as it arrives (the summary comes as the outcome).
			echo.interrupted();
			write(formatScrollItem({kind: event.outcome.ok ? 'output' : 'error', text: event.outcome.text}));
		}
	});
	const backlog = sessionBacklog(session);
	const running = new Set<Promise<void>>();
	const lines = createInterface({input: options.input ?? process.stdin, terminal: false, crlfDelay: Number.POSITIVE_INFINITY});
	prompt();
	try {
		for await (const line of lines) {
			if (session.quitRequested) {
				break;
			}

			if (line.trim() === '') {
				echo.interrupted();
				prompt();
				continue;
			}

			if (!options.prompt) {
				// Nobody sees the typing here (stdout is a file or a pipe): the echo keeps the transcript readable.
				write(formatScrollItem({kind: 'echo', text: line}));
			}

			const command = echo.submitted();
			const done = backlog.submit(line).then(({outcome}) => {
				for (const item of echo.outcome(command, line, outcome)) {
					write(formatScrollItem(item));
				}

				running.delete(done);
				if (session.quitRequested) {
					// `quit` ends the mode at once: no more lines are read; those already started run on.
					lines.close();
				} else {
					prompt();
				}
			});
			running.add(done);
		}

		if (session.quitRequested) {
			// Lines still waiting in the backlog are dropped, each said to be not run.
			backlog.close();
		}

		await Promise.all(running);
		return 0;
	} finally {
		lines.close();
		backlog.dispose();
		unsubscribe();
	}
}
