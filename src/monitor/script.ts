/**
 * Scripted mode: commands from `-c` or piped stdin, run in order, one result each; no Ink and
 * no raw-mode input. Exit code 0 only if every command succeeded.
 */
import {appendFileSync} from 'node:fs';
import type {CommandOutcome, SessionEvent} from './session-api.js';
import type {FleetSession} from './fleet/fleet-session.js';
import {OneGuestSession} from './fleet/one-guest.js';
import {Session} from './session.js';
import {escapeLine, safeJson} from './escape.js';
import {describeConnection} from './format.js';
import {Backlog} from './backlog.js';
import {commandError} from './command-error.js';
import {splitCommand, splitScript} from './parse-args.js';
import {awaitGuest, type GuestWait} from './script-connect.js';

export type ScriptOptions = {
	/** One line per command: `{"id", "command", "return"}` or `{"id", "command", "error"}` (docs/JSON.md). */
	readonly json?: boolean;
	/** `-e`: stop at the first command that fails. */
	readonly stopOnError?: boolean;
	/** `-t`: the time each command took: `"ms"` in JSON, else a line on stderr. */
	readonly timing?: boolean;
	/** `-v`: frames on the wire, connection changes and engine warnings, on stderr. */
	readonly verbose?: boolean;
	/** `-l FILE`: append each command and its result. */
	readonly logFile?: string;
	/** `--wait`: how long the guest may take to appear; 0 (default) fails at once when it is not there. */
	readonly waitMs?: number;
	/** The command timeout (default 5 s): also bounds the wait for the guest's handshake. */
	readonly timeoutMs?: number;
	readonly stdout: (text: string) => void;
	readonly stderr: (text: string) => void;
	/** Where long commands' progress goes (a terminal's stderr), if anywhere. */
	readonly progress?: (text: string) => void;
};

/** Run every command of `source` (lines, each possibly `cmd; cmd # comment`); resolves with the exit code. */
export async function runScript(
	session: Session | OneGuestSession | FleetSession,
	source: Iterable<string> | AsyncIterable<string>,
	options: ScriptOptions,
): Promise<number> {
	// One guest is waited for before the first line; a fleet waits for each guest itself.
	const single = session instanceof OneGuestSession ? session.session : session instanceof Session ? session : undefined;
	const unsubscribe = options.verbose ? subscribeVerbose(session, options.stderr) : undefined;
	const {progress} = options;
	const stopProgress =
		progress === undefined
			? undefined
			: session.subscribe(event => {
					if (event.type === 'progress') {
						progress(event.text);
					}
				});
	const log = options.logFile === undefined ? undefined : logWriter(options.logFile, options.stderr);
	let failed = false;
	let guest = 'unknown' as 'unknown' | 'ready' | 'unreachable';
	// The same feeder as the interactive shell's, one line at a time: results in order, `-e`
	// and `quit` stop before the next line starts.
	const backlog = new Backlog({
		concurrency: 1,
		async execute(line) {
			// A fleet waits for each guest before its first line, and one unreachable guest stops nothing.
			if (guest === 'unknown' && single && !localCommands.has(splitCommand(line).name)) {
				const unreachable = await guestError(single, line, {waitMs: options.waitMs ?? 0, timeoutMs: options.timeoutMs ?? 5000});
				guest = unreachable ? 'unreachable' : 'ready';
				if (unreachable) {
					return unreachable;
				}
			}

			return session.execute(line);
		},
	});
	try {
		for await (const sourceLine of source) {
			for (const line of splitScript(sourceLine)) {
				const {id, outcome} = await backlog.submit(line);
				// A line run on several guests: a line (or a JSON line) per guest, its own stream each, then the summary.
				for (const part of outcome.fanOut?.parts ?? [outcome]) {
					if (options.json) {
						options.stdout(safeJson(jsonLine(id, line, part, options.timing ?? false)));
					} else if (part.text !== '') {
						(part.ok ? options.stdout : options.stderr)(part.text);
					}
				}

				if (outcome.fanOut && !options.json) {
					(outcome.ok ? options.stdout : options.stderr)(outcome.fanOut.summary);
				}

				if (options.timing && !options.json && guest !== 'unreachable') {
					options.stderr(`[${escapeLine(line)}: ${outcome.ms.toFixed(1)} ms]`);
				}

				log?.(line, outcome.text);
				failed ||= !outcome.ok;
				// Without a guest every later command would fail the same way: stop at the first.
				if ((!outcome.ok && options.stopOnError) || session.quitRequested || guest === 'unreachable') {
					return failed ? 1 : 0;
				}
			}
		}

		return failed ? 1 : 0;
	} finally {
		stopProgress?.();
		unsubscribe?.();
	}
}

/** Commands that need no guest: a script of `help` runs without one. */
const localCommands: ReadonlySet<string> = new Set(['help', '?', 'quit', 'q', 'exit']);

/** The outcome of `line` when the guest cannot be reached, or undefined once it is there. */
async function guestError(session: Session, line: string, wait: GuestWait): Promise<CommandOutcome | undefined> {
	const started = performance.now();
	try {
		await awaitGuest(session, wait);
		return undefined;
	} catch (error) {
		const {error: shaped, text} = commandError(error);
		return {ok: false, command: splitCommand(line).name, error: shaped, text, ms: performance.now() - started};
	}
}

/** docs/JSON.md: which command (its 1-based position and text), then its result or error. */
export function jsonLine(id: number, line: string, outcome: CommandOutcome, timing: boolean): Record<string, unknown> {
	return {
		id,
		command: line,
		...(outcome.guest === undefined ? {} : {guest: outcome.guest}),
		...(outcome.ok ? {return: outcome.value ?? {}} : {error: outcome.error}),
		...(timing ? {ms: Math.round(outcome.ms * 10) / 10} : {}),
	};
}

/** `-v`: one guest's events as they are; a fleet's from every guest (not only the focused one), each line named. */
function subscribeVerbose(session: Session | OneGuestSession | FleetSession, write: (line: string) => void): () => void {
	if (!('fleet' in session)) {
		return session.subscribe(event => {
			const line = verboseLine(event);
			if (line !== undefined) {
				write(line);
			}
		});
	}

	// The fleet's own warnings already go to stderr (cli.ts).
	return session.fleet.subscribe(event => {
		if (event.type !== 'guest') {
			return;
		}

		const line = verboseLine(event.event);
		if (line !== undefined) {
			write(`${escapeLine(event.name)}: ${line}`);
		}
	});
}

function verboseLine(event: SessionEvent): string | undefined {
	switch (event.type) {
		case 'wire': {
			const arrow = event.direction === 'out' ? '>>' : '<<';
			return `${arrow} ${event.kind} tag=${escapeLine(event.tag ?? 'none')} ${escapeLine(event.body.toString('utf8'))}`;
		}

		case 'status': {
			return `-- ${event.status.channel}: ${describeConnection(event.status.connection, Date.now())}${event.status.guest.methods ? `, ${event.status.guest.methods.length} guest methods` : ''}`;
		}

		case 'hello': {
			return `-- the guest agent said hello at ${new Date(event.at).toISOString()}`;
		}

		case 'log': {
			return event.level === 'debug' ? undefined : `-- ${event.level}: ${escapeLine(event.message)}`;
		}

		default: {
			return undefined;
		}
	}
}

/** `-l` in interactive mode: the screen's commands, logged from their outcome events. */
export function logOutcomes(file: string): (event: SessionEvent) => void {
	const write = logWriter(file, () => undefined);
	return event => {
		if (event.type === 'outcome' && event.outcome.command !== '') {
			write(event.line, event.outcome.text);
		}
	};
}

/** Appends `> command` and the result; a log that cannot be written is said once, not fatal. */
function logWriter(file: string, stderr: (text: string) => void): (line: string, result: string) => void {
	let broken = false;
	return (line, result) => {
		if (broken) {
			return;
		}

		try {
			appendFileSync(file, `${new Date().toISOString()} > ${escapeLine(line)}\n${result === '' ? '' : `${result}\n`}`);
		} catch (error) {
			broken = true;
			stderr(`virtagent monitor: cannot write the log ${file}: ${(error as Error).message}`);
		}
	};
}
