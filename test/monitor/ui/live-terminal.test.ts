import {EventEmitter} from 'node:events';
import {describe, expect, it} from 'vitest';
import {cutLine, displayWidth, eraseUp, fitFrame, LiveTerminal, redrawMark} from '../../../src/monitor/ui/live-terminal.js';

/** A terminal that keeps what was written, with a size the test sets. */
class Out extends EventEmitter {
	written = '';
	constructor(
		public columns: number,
		public rows: number,
	) {
		super();
	}

	write(text: string): boolean {
		this.written += text;
		return true;
	}

	take(): string {
		const text = this.written;
		this.written = '';
		return text;
	}
}

const frame = (count: number, width = 10) => Array.from({length: count}, (_, index) => `${index}`.padEnd(width, '-')).join('\n');

describe('LiveTerminal', () => {
	it('draws the scrollback and the frame in one write, erasing the old frame line by line', () => {
		const out = new Out(80, 24);
		const terminal = new LiveTerminal(out);
		terminal.draw(frame(3));
		expect(out.take()).toContain(`${redrawMark}0---------\n1---------\n2---------\n`);
		terminal.scroll('ok\n');
		terminal.draw(frame(4));
		const written = out.take();
		// Three rows up (and the cursor's own row), one redraw mark, then the line, then the frame.
		expect(written).toContain(`${eraseUp(3)}ok\n0---------`);
		expect(written.split(redrawMark)).toHaveLength(2);
		expect(terminal.draws).toBe(2);
		// Nothing new: nothing written.
		expect(terminal.draw(frame(4))).toBe(false);
	});

	it('keeps a frame within the window height minus one row, the prompt kept', () => {
		expect(fitFrame(frame(30), 80, 24).lines).toHaveLength(23);
		expect(fitFrame(frame(30), 80, 24).lines.at(-1)).toBe('29--------');
		// A line wider than the window takes two rows: one line fewer fits.
		const {lines, height} = fitFrame(`${'x'.repeat(100)}\n${frame(30)}`, 80, 24);
		expect(height).toBe(23);
		expect(lines[0]).toBe('7---------');
		expect(fitFrame(frame(3), 80, 1).lines).toEqual(['2---------']);
	});

	it('cuts a line to the window with its colours reset, counting wide characters as two', () => {
		expect(displayWidth('\u001B[31m漢字\u001B[39m')).toBe(4);
		expect(cutLine('\u001B[31mabc漢字\u001B[39m', 4)).toBe('\u001B[31mabc\u001B[0m');
		expect(cutLine('short', 10)).toBe('short');
	});

	it('after a narrowing resize erases the old frame as the terminal re-wrapped it', () => {
		const out = new Out(40, 24);
		const terminal = new LiveTerminal(out);
		let resized = 0;
		terminal.onResize(() => resized++);
		terminal.draw(frame(3, 40));
		out.take();
		out.columns = 20;
		out.emit('resize');
		expect(resized).toBe(1);
		// Three 40-column lines are six rows at 20 columns; the same frame is drawn again.
		terminal.draw(frame(3, 20));
		expect(out.take()).toContain(`${eraseUp(6)}0-------------------`);
	});

	it('a shrink pushes the frame top into the history; growing back brings it into the erase', () => {
		const out = new Out(40, 24);
		const terminal = new LiveTerminal(out);
		terminal.draw(frame(20));
		out.rows = 10;
		out.emit('resize');
		terminal.draw(frame(5));
		// Only the 9 rows left on the screen can be reached.
		expect(out.take()).toContain(eraseUp(9));
		out.rows = 24;
		out.emit('resize');
		terminal.draw(frame(6));
		// The terminal pulled 11 of the hidden rows back above the 5-row frame.
		expect(out.take()).toContain(eraseUp(5 + 11));
	});

	it('Ctrl-L clears the screen and draws the frame at the top', () => {
		const out = new Out(80, 24);
		const terminal = new LiveTerminal(out);
		terminal.draw(frame(3));
		out.take();
		terminal.clearScreen();
		terminal.draw();
		expect(out.take()).toMatch(/^\u001B\[H\u001B\[2J.*\u001B\[2K\u001B\[G0-{9}\n/su);
	});
});
