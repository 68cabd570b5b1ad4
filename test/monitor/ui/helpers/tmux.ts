/** A real terminal for the screen's end-to-end tests: one tmux session per test, by unique name. */
import {execFileSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll} from 'vitest';
import {ensureBuilt} from '../../helpers/cli.js';

export function haveTmux(): boolean {
	try {
		execFileSync('tmux', ['-V'], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
}

/**
 * The hooks of a suite of terminal tests: tmux must be there and the CLI built; returns the
 * list of cleanups run (newest first) after each test.
 */
export function terminalSuite(): Array<() => Promise<void> | void> {
	const cleanups: Array<() => Promise<void> | void> = [];
	afterEach(async () => {
		for (const cleanup of cleanups.splice(0).reverse()) {
			await cleanup();
		}
	});
	beforeAll(() => {
		if (!haveTmux()) {
			throw new Error('tmux is needed for these tests: apt-get install -y tmux');
		}

		ensureBuilt();
		// A build on a loaded machine takes a while.
	}, 120_000);
	return cleanups;
}

/** With VA_SCREEN_CAPTURES=DIR, keep a captured pane (or output) there as NAME.txt. */
export function keepCapture(name: string, text: string): void {
	const dir = process.env.VA_SCREEN_CAPTURES;
	if (dir) {
		mkdirSync(dir, {recursive: true});
		writeFileSync(path.join(dir, `${name}.txt`), text);
	}
}

function tmux(...args: string[]): string {
	return execFileSync('tmux', args, {encoding: 'utf8'});
}

export type Pane = {
	readonly name: string;
	/** The visible screen. */
	screen(): string;
	/** The screen and up to 500 lines of scrollback above it. */
	history(): string;
	/** Type text literally (no key names), then optionally Enter as its own key. */
	type(text: string, enter?: boolean): void;
	key(name: string): void;
	/** Lines in the pane's scrollback (`#{history_size}`): it only grows unless something cleared it. */
	historySize(): number;
	/** The visible rows that the terminal wrapped (a line wider than the window). */
	wrappedRows(): number;
	resize(columns: number, rows: number): void;
	/** Append everything the program writes to the pane, as raw bytes, to `file`. */
	pipeTo(file: string): void;
	/** Poll the pane until `predicate` holds; on timeout the error shows the screen. */
	until(predicate: (screen: string) => boolean, what: string, timeoutMs?: number, withHistory?: boolean): Promise<string>;
	kill(): void;
};

/**
 * Start `command` in a detached tmux session (120×40 unless told) with CI=false and the given
 * environment.
 */
export function startPane(command: string, env: Readonly<Record<string, string>>, cwd: string, size = {columns: 120, rows: 40}): Pane {
	const name = `va-ui-${process.pid}-${randomBytes(3).toString('hex')}`;
	const envArgs = Object.entries({CI: 'false', ...env}).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
	tmux('new-session', '-d', '-s', name, '-x', String(size.columns), '-y', String(size.rows), '-c', cwd, ...envArgs, command);
	// The window keeps the size it is given (not the size of some attached client).
	tmux('set-option', '-t', name, 'window-size', 'manual');
	const screen = () => tmux('capture-pane', '-p', '-t', name);
	const history = () => tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', name);
	return {
		name,
		screen,
		history,
		type(text, enter = false) {
			tmux('send-keys', '-t', name, '-l', text);
			if (enter) {
				tmux('send-keys', '-t', name, 'Enter');
			}
		},
		key(key) {
			tmux('send-keys', '-t', name, key);
		},
		historySize() {
			return Number(tmux('display-message', '-p', '-t', name, '#{history_size}').trim());
		},
		wrappedRows() {
			const rows = tmux('capture-pane', '-p', '-t', name).split('\n').length;
			const joined = tmux('capture-pane', '-p', '-J', '-t', name).split('\n').length;
			return rows - joined;
		},
		resize(columns, rows) {
			tmux('resize-window', '-t', name, '-x', String(columns), '-y', String(rows));
		},
		pipeTo(file) {
			tmux('pipe-pane', '-o', '-t', name, `cat >> '${file}'`);
		},
		async until(predicate, what, timeoutMs = 10_000, withHistory = false) {
			// Each look runs tmux: poll every 40 ms, not in a tight loop (two shared cores).
			const start = Date.now();
			for (;;) {
				const last = withHistory ? history() : screen();
				if (predicate(last)) {
					return last;
				}

				if (Date.now() - start > timeoutMs) {
					throw new Error(`timed out waiting for ${what}; the pane shows:\n${last}`);
				}

				await new Promise(resolve => setTimeout(resolve, 40));
			}
		},
		kill() {
			try {
				tmux('kill-session', '-t', name);
			} catch {
				// Already gone.
			}
		},
	};
}

/** The live prompt line: the last line that starts with the prompt. */
export function promptLine(screen: string): string {
	return (
		screen
			.split('\n')
			.findLast(line => line.startsWith('(virtagent)'))
			?.trimEnd() ?? ''
	);
}
