/**
 * The interactive monitor (stdin is a terminal): the live screen, or the plain line mode when
 * the screen cannot be drawn (`TERM=dumb`, stdout not a terminal) or was declined (`--plain`).
 * Ink is loaded only for the screen.
 */
import type {MonitorSession} from '../session-api.js';
import {startPlain} from './plain.js';

export type InteractiveChoice = {
	readonly plain: boolean;
	readonly historyFile?: string;
};

/** The plain line mode, when asked for or when stdout cannot show a live screen. */
export function wantsPlain(plain: boolean, env: NodeJS.ProcessEnv, stdoutIsTTY: boolean): boolean {
	return plain || !stdoutIsTTY || env.TERM === 'dumb';
}

export async function runInteractive(session: MonitorSession, choice: InteractiveChoice): Promise<number> {
	if (wantsPlain(choice.plain, process.env, process.stdout.isTTY === true)) {
		return startPlain(session, {prompt: process.stdout.isTTY === true});
	}

	const {startInteractive} = await import('./start.js');
	return startInteractive(session, choice.historyFile === undefined ? {} : {historyFile: choice.historyFile});
}
