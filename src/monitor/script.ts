/**
 * Scripted mode: commands from `-c` or piped stdin, run in order, one result each; no Ink and
 * no raw-mode input. Exit code 0 only if every command succeeded.
 */
import {appendFileSync} from 'node:fs';
import type {SessionEvent} from './session-api.js';
import type {Session} from './session.js';
import {escapeLine, safeJson} from './escape.js';
import {describeConnection} from './format.js';
import {splitScript} from './parse-args.js';

export type ScriptOptions = {
	/** One QMP-shaped line per command (`{"return": …}` / `{"error": {…}}`). */
	readonly json?: boolean;
	/** `-e`: stop at the first command that fails. */
	readonly stopOnError?: boolean;
	/** `-t`: the time each command took, on stderr. */
	readonly timing?: boolean;
	/** `-v`: frames on the wire, connection changes and engine warnings, on stderr. */
	readonly verbose?: boolean;
	/** `-l FILE`: append each command and its result. */
	readonly logFile?: string;
	readonly stdout: (text: string) => void;
	readonly stderr: (text: string) => void;
};

/** Run every command of `source` (lines, each possibly `cmd; cmd # comment`); resolves with the exit code. */
export async function runScript(session: Session, source: Iterable<string> | AsyncIterable<string>, options: ScriptOptions): Promise<number> {
	const unsubscribe = options.verbose ? session.subscribe(event => {
		const line = verboseLine(event);
		if (line !== undefined) {
			options.stderr(line);
		}
	}) : undefined;
	const log = options.logFile === undefined ? undefined : logWriter(options.logFile, options.stderr);
	let failed = false;
	try {
		for await (const sourceLine of source) {
			for (const line of splitScript(sourceLine)) {
				const outcome = await session.execute(line);
				if (options.json) {
					options.stdout(safeJson(outcome.ok ? {return: outcome.value ?? {}} : {error: outcome.error}));
				} else if (outcome.text !== '') {
					(outcome.ok ? options.stdout : options.stderr)(outcome.text);
				}

				if (options.timing) {
					options.stderr(`[${escapeLine(line)}: ${outcome.ms.toFixed(1)} ms]`);
				}

				log?.(line, outcome.text);
				failed ||= !outcome.ok;
				if ((!outcome.ok && options.stopOnError) || session.quitRequested) {
					return failed ? 1 : 0;
				}
			}
		}

		return failed ? 1 : 0;
	} finally {
		unsubscribe?.();
	}
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
