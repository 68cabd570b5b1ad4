/**
 * The live region on a real terminal, drawn here rather than by Ink's own log-update: Ink runs
 * in its debug mode and only hands each frame's text to `frameSink`. Why: Ink clears the whole
 * terminal, scrollback included (`ESC[3J`), whenever its previous frame was as tall as the
 * window, and after a resize it erases the old frame by its old line count although the
 * terminal has re-wrapped it (fragments stay). Here a frame never takes more than the window's
 * height minus one row, and a resize erases the old frame as the terminal now shows it.
 */
import {EventEmitter} from 'node:events';
import stringWidth from 'string-width';

const csi = '\u001B[';
/** DEC synchronized output: the terminal shows a draw at once, not half of it. */
const syncBegin = `${csi}?2026h`;
const syncEnd = `${csi}?2026l`;
export const hideCursor = `${csi}?25l`;
export const showCursor = `${csi}?25h`;
/** Erase line, cursor to column 1: written once per draw (what the bench counts as a redraw). */
export const redrawMark = `${csi}2K${csi}G`;

/**
 * Erase the cursor's row and the `rows` above it, line by line, ending in column 1 (one
 * `redrawMark`). Not "erase to the end of the screen" from the top: tmux keeps a whole screen
 * erased from its first row in the scrollback (its scroll-on-clear).
 */
export function eraseUp(rows: number): string {
	return `${`${csi}2K${csi}1A`.repeat(rows)}${redrawMark}`;
}

/** The real terminal: where the frames and the scrollback go, and its size. */
export type TerminalStream = {
	write(text: string): unknown;
	readonly columns: number;
	readonly rows: number;
	on(event: 'resize', listener: () => void): unknown;
	off(event: 'resize', listener: () => void): unknown;
};

const sgr = /\u001B\[[\d;]*m/gu;
/** Characters one column wide each: ASCII, Latin-1, punctuation, arrows, box drawing, shapes. */
const narrow = /^[\u0020-\u007E\u00A0-\u00FF\u2010-\u2027\u2190-\u21FF\u2500-\u25FF]*$/u;

/** Columns a line takes; the frame's usual characters are counted without string-width's (slow) segmenter. */
export function displayWidth(line: string): number {
	const visible = line.replaceAll(sgr, '');
	return narrow.test(visible) ? visible.length : stringWidth(visible);
}

/**
 * The line cut to `columns` (its colour codes kept, reset at the cut). Ink's own truncation
 * can leave a line of wide characters one column too wide, which the terminal would wrap.
 */
export function cutLine(line: string, columns: number): string {
	if (displayWidth(line) <= columns) {
		return line;
	}

	let out = '';
	let used = 0;
	for (const [token, code] of line.matchAll(/(\u001B\[[\d;]*m)|[\s\S]/gu)) {
		if (code !== undefined) {
			out += code;
			continue;
		}

		const cells = displayWidth(token);
		if (used + cells > columns) {
			break;
		}

		out += token;
		used += cells;
	}

	return `${out}\u001B[0m`;
}

/** Rows a line takes once the terminal wraps it at `columns` (an empty line takes one). */
export function rowsOf(line: string, columns: number): number {
	return Math.max(1, Math.ceil(displayWidth(line) / Math.max(1, columns)));
}

/** The most rows a frame may take: the window's height minus the row the cursor waits on. */
export function frameBudget(rows: number): number {
	return Math.max(1, rows - 1);
}

/**
 * The frame as drawn: no line wider than the window; if it would take more rows than the
 * budget (it should not: the layout keeps to it), its top lines go, so that the prompt at the
 * bottom stays.
 */
export function fitFrame(frame: string, columns: number, rows: number): {lines: string[]; height: number} {
	const lines = frame.split('\n').map(line => cutLine(line, columns));
	const heights = lines.map(line => rowsOf(line, columns));
	let used = 0;
	let first = lines.length;
	while (first > 0 && used + heights[first - 1]! <= frameBudget(rows)) {
		first--;
		used += heights[first]!;
	}

	// Not even the prompt fits: it is drawn anyway.
	return first === lines.length ? {lines: lines.slice(-1), height: heights.at(-1)!} : {lines: lines.slice(first), height: used};
}

/** What Ink writes to: one frame per render, never shown as is. */
class FrameSink extends EventEmitter {
	readonly isTTY = false;
	readonly #terminal: LiveTerminal;

	constructor(terminal: LiveTerminal) {
		super();
		this.#terminal = terminal;
	}

	get columns(): number {
		return this.#terminal.columns;
	}

	get rows(): number {
		return this.#terminal.rows;
	}

	write(frame: string): boolean {
		this.#terminal.draw(frame);
		return true;
	}
}

export class LiveTerminal {
	readonly #out: TerminalStream;
	/** Give this to Ink as its stdout (with `debug: true`). */
	readonly frameSink: NodeJS.WriteStream;
	#frame = '';
	/** The frame's lines as last drawn, and the rows they take on the terminal now. */
	#lines: string[] = [];
	#height = 0;
	/** The window's height when last drawn or resized. */
	#rows: number;
	/** Lines of the frame that a shrinking window pushed into the terminal's history. */
	#hidden: string[] = [];
	#scrollback = '';
	#stale = false;
	#closed = false;
	#draws = 0;
	readonly #onResize: () => void;
	#resizeListener: (() => void) | undefined;
	#drawListener: (() => void) | undefined;

	constructor(out: TerminalStream) {
		this.#out = out;
		this.frameSink = new FrameSink(this) as unknown as NodeJS.WriteStream;
		this.#rows = this.rows;
		this.#onResize = () => {
			this.#height = this.#visibleAfterResize();
			this.#rows = this.rows;
			this.#stale = true;
			this.#resizeListener?.();
		};
		out.on('resize', this.#onResize);
	}

	get columns(): number {
		return this.#out.columns || 80;
	}

	/**
	 * Rows of the old frame on the screen after a resize. The terminal has re-wrapped its lines
	 * to the new width. A window too short for it pushed its top rows into the history (the
	 * cursor stays on the bottom row): they are out of reach until the window grows again and
	 * the terminal pulls them back in above the frame, where they are erased with it.
	 */
	#visibleAfterResize(): number {
		const rows = this.#lines.map(line => rowsOf(line, this.columns));
		let visible = rows.reduce((sum, count) => sum + count, 0);
		let pushed = Math.max(0, visible - frameBudget(this.rows));
		visible -= pushed;
		// Whole lines only: a line pushed in part is erased with the visible rows.
		while (this.#lines.length > 1 && rows[0]! <= pushed) {
			pushed -= rows.shift()!;
			this.#hidden.push(this.#lines.shift()!);
		}

		// The terminal pulls back its newest history rows first: the frame's, when it pushed them last.
		let room = Math.max(0, this.rows - this.#rows);
		while (this.#hidden.length > 0 && rowsOf(this.#hidden.at(-1)!, this.columns) <= room) {
			const line = this.#hidden.pop()!;
			room -= rowsOf(line, this.columns);
			visible += rowsOf(line, this.columns);
			this.#lines.unshift(line);
		}

		return visible;
	}

	get rows(): number {
		return this.#out.rows || 24;
	}

	/** Draws so far (each is one write: scrollback, then the frame). */
	get draws(): number {
		return this.#draws;
	}

	/** Called after each resize (once the old frame is known to need erasing): lay out again. */
	onResize(listener: () => void): void {
		this.#resizeListener = listener;
	}

	/** Called after each draw (the frame clock paces itself by them). */
	onDraw(listener: () => void): void {
		this.#drawListener = listener;
	}

	/** Finished text for above the live region (ends with a newline); written with the next draw. */
	scroll(text: string): void {
		this.#scrollback += text;
	}

	get hasScrollback(): boolean {
		return this.#scrollback !== '';
	}

	/**
	 * Write the pending scrollback and `frame` (the last one when omitted) in one write: erase
	 * the old frame, the new lines, the frame, the cursor on the row below. Returns whether it
	 * wrote anything.
	 */
	draw(frame: string = this.#frame): boolean {
		if (this.#closed || (frame === this.#frame && this.#scrollback === '' && !this.#stale)) {
			return false;
		}

		const {lines, height} = fitFrame(frame, this.columns, this.rows);
		const first = this.#draws === 0 ? hideCursor : '';
		this.#out.write(`${syncBegin}${first}${eraseUp(this.#height)}${this.#scrollback}${lines.join('\n')}\n${syncEnd}`);
		if (this.#scrollback !== '' || height > this.#height) {
			// Newer lines went into the history: a growing window pulls those back first.
			this.#hidden = [];
		}

		this.#frame = frame;
		this.#lines = lines;
		this.#height = height;
		this.#scrollback = '';
		this.#stale = false;
		this.#draws++;
		this.#drawListener?.();
		return true;
	}

	/**
	 * Ctrl-L, as in bash: the terminal's own clear (cursor home, erase the screen; what scrolled
	 * away stays in its history), then the frame again at the top with the next draw.
	 */
	clearScreen(): void {
		this.#out.write(`${csi}H${csi}2J`);
		this.#height = 0;
		this.#hidden = [];
		this.#stale = true;
	}

	/** The last frame stays on the screen, the cursor below it, visible again. */
	close(): void {
		if (this.#closed) {
			return;
		}

		this.draw();
		this.#closed = true;
		this.#out.off('resize', this.#onResize);
		this.#out.write(showCursor);
	}
}
