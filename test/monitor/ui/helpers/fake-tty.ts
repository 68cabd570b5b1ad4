import {EventEmitter} from 'node:events';
import {redrawMark} from '../../../../src/monitor/ui/live-terminal.js';

/** Stdin as Ink sees a terminal in raw mode: `write` delivers one chunk, like one read(). */
export {TypedInput as FakeStdin} from '../../../../bench/lib/typed-input.js';

export {redrawMark} from '../../../../src/monitor/ui/live-terminal.js';

/**
 * Stdout as a terminal: keeps everything written (ANSI included) and plays the part of the
 * escape sequences Ink's log-update uses (cursor up, column, erase line) on a list of lines,
 * so that `screen()` is what the operator would see: scrollback above, the live region below.
 */
export class FakeStdout extends EventEmitter {
	readonly isTTY = true;
	columns = 120;
	rows = 40;
	written = '';
	readonly #lines: string[] = [''];
	#row = 0;
	#column = 0;

	write(data: string): boolean {
		this.written += data;
		for (const [token, parameter = '', command] of data.matchAll(/\u001B\[\??([\d;]*)([A-Za-z])|[^\u001B]/gu)) {
			if (command === undefined) {
				this.#put(token);
			} else {
				this.#control(command, parameter);
			}
		}

		return true;
	}

	/** The scrollback and the live region, as plain text, trailing spaces dropped. */
	screen(): string {
		return this.#lines.map(line => line.trimEnd()).join('\n');
	}

	/** Redraws of the live region so far. */
	redraws(): number {
		return this.written.split(redrawMark).length - 1;
	}

	#put(char: string): void {
		if (char === '\n') {
			this.#row++;
			this.#column = 0;
			this.#lines[this.#row] ??= '';
			return;
		}

		if (char === '\r') {
			this.#column = 0;
			return;
		}

		const line = this.#lines[this.#row]!.padEnd(this.#column);
		this.#lines[this.#row] = line.slice(0, this.#column) + char + line.slice(this.#column + 1);
		this.#column++;
	}

	#control(command: string, parameter: string): void {
		const count = Number(parameter || 1);
		switch (command) {
			case 'A': {
				this.#row = Math.max(0, this.#row - count);
				break;
			}

			case 'G': {
				this.#column = count - 1;
				break;
			}

			case 'K': {
				// Whole lines (2K) only.
				this.#lines[this.#row] = '';
				break;
			}

			case 'J': {
				// Erase below: the rest of this line and every line under it.
				this.#lines[this.#row] = this.#lines[this.#row]!.slice(0, this.#column);
				this.#lines.length = this.#row + 1;
				break;
			}

			default: {
				// Colours, cursor visibility, synchronized output: nothing to lay out.
			}
		}
	}
}

/** A macrotask: Ink handles input and renders on later turns of the loop. */
export async function tick(ms = 20): Promise<void> {
	await new Promise(resolve => setTimeout(resolve, ms));
}
