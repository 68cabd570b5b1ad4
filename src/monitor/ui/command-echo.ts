import {escapeLine} from '../escape.js';
import type {CommandOutcome} from '../session-api.js';
import type {ScrollItem} from './scrollback.js';

/**
 * Commands run asynchronously, so their outputs may come in any order: an output that does not
 * follow its own command's echo is labelled with the command (`↳ agent_viewdmesg:`).
 */
export class CommandEcho {
	/** The command whose echo is the newest line written, if any. */
	#lastEcho: number | undefined;
	#next = 1;

	/** A line was entered and echoed: its number, for `outcome`. */
	submitted(): number {
		this.#lastEcho = this.#next++;
		return this.#lastEcho;
	}

	/** Something else was written (a blank line's echo, a note). */
	interrupted(): void {
		this.#lastEcho = undefined;
	}

	/** The lines for command `command`'s outcome (none for a silent success). */
	outcome(command: number, line: string, outcome: CommandOutcome): ScrollItem[] {
		if (outcome.text === '') {
			return [];
		}

		const label: ScrollItem[] = this.#lastEcho === command ? [] : [{kind: 'note', text: `↳ ${escapeLine(line)}:`}];
		this.#lastEcho = undefined;
		return [...label, {kind: outcome.ok ? 'output' : 'error', text: outcome.text}];
	}
}
