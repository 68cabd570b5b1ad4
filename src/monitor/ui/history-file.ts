import {appendFile, readFile, writeFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import path from 'node:path';
import {addToHistory, historyLimit} from './line-editor.js';

export function defaultHistoryFile(): string {
	return path.join(homedir(), '.virtagent_history');
}

/** The saved lines, oldest first, bounded; a missing or unreadable file is an empty history. */
export async function loadHistory(file: string, limit = historyLimit): Promise<readonly string[]> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch {
		return [];
	}

	let history: readonly string[] = [];
	for (const line of text.split('\n')) {
		history = addToHistory(history, line, limit);
	}

	return history;
}

/**
 * Appends each submitted line; once the file holds twice the limit it is rewritten with the
 * newest `limit` lines (cheap appends, bounded size). Writes are serialized and never throw:
 * a read-only home must not break the prompt.
 */
export class HistoryFile {
	readonly #file: string;
	readonly #limit: number;
	#lines: number;
	#writing: Promise<void> = Promise.resolve();

	constructor(file: string, loadedLines: number, limit = historyLimit) {
		this.#file = file;
		this.#limit = limit;
		this.#lines = loadedLines;
	}

	/** `history` is the editor's history after the line was added. */
	append(line: string, history: readonly string[]): Promise<void> {
		this.#lines++;
		const rewrite = this.#lines >= 2 * this.#limit;
		if (rewrite) {
			this.#lines = history.length;
		}

		const snapshot = rewrite ? history.slice(-this.#limit) : [];
		this.#writing = this.#writing
			.then(async () => (rewrite ? writeFile(this.#file, `${snapshot.join('\n')}\n`, {mode: 0o600}) : appendFile(this.#file, `${line}\n`, {mode: 0o600})))
			.catch(() => undefined);
		return this.#writing;
	}

	/** Resolves when every write so far has finished. */
	flushed(): Promise<void> {
		return this.#writing;
	}
}
