import {appendFile, open, readFile, writeFile} from 'node:fs/promises';
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

/** Why `file` cannot take the history (opened for appending, created if missing), or undefined when it can. */
export async function historyFileProblem(file: string): Promise<string | undefined> {
	try {
		const handle = await open(file, 'a', 0o600);
		await handle.close();
		return undefined;
	} catch (error) {
		return `cannot write the history file ${file}: ${(error as Error).message}; this session's commands are not saved`;
	}
}

/**
 * Appends each submitted line; once the file holds twice the limit it is rewritten with the
 * newest `limit` lines (cheap appends, bounded size). Writes are serialized and never throw:
 * a read-only home must not break the prompt; the first failure is told to `onError`, once.
 */
export class HistoryFile {
	readonly #file: string;
	readonly #limit: number;
	#lines: number;
	readonly #onError: (message: string) => void;
	#failed = false;
	#writing: Promise<void> = Promise.resolve();

	constructor(file: string, loadedLines: number, limit = historyLimit, onError: (message: string) => void = () => undefined) {
		this.#file = file;
		this.#limit = limit;
		this.#lines = loadedLines;
		this.#onError = onError;
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
			.catch((error: unknown) => {
				if (!this.#failed) {
					this.#failed = true;
					this.#onError(`cannot write the history file ${this.#file}: ${(error as Error).message}`);
				}
			});
		return this.#writing;
	}

	/** Resolves when every write so far has finished. */
	flushed(): Promise<void> {
		return this.#writing;
	}
}
