/**
 * The prompt's editing rules as a pure reducer, so that every key can be tested without Ink:
 * the emacs keys of bash's readline (Ctrl-A/E/U/W/K, Alt-B/F/D, Ctrl-R search), history
 * browsing, and submission.
 */
import {acceptSearch, cancelSearch, searchBack, searchErase, searchPrompt, searchType} from './line-search.js';
import type {LineState} from './line-state.js';

export type {LineState} from './line-state.js';

export type EditAction =
	| {readonly type: 'insert'; readonly text: string}
	| {readonly type: 'backspace'}
	| {readonly type: 'deleteForward'}
	| {readonly type: 'left'}
	| {readonly type: 'right'}
	| {readonly type: 'home'}
	| {readonly type: 'end'}
	| {readonly type: 'killToStart'}
	| {readonly type: 'killToEnd'}
	| {readonly type: 'killWordBack'}
	/** Alt-Backspace: the word of letters and digits before the cursor (readline's backward-kill-word). */
	| {readonly type: 'killAlnumWordBack'}
	/** Alt-D: to the end of the word after the cursor. */
	| {readonly type: 'killWordForward'}
	/** Alt-B, Alt-F (and Ctrl-←/→): by words of letters and digits, as readline moves. */
	| {readonly type: 'wordLeft'}
	| {readonly type: 'wordRight'}
	/** Ctrl-R: search the history backwards (again: the next older match). */
	| {readonly type: 'searchBack'}
	/** Ctrl-G, Escape: leave the search, the line as it was. */
	| {readonly type: 'searchCancel'}
	| {readonly type: 'historyPrev'}
	| {readonly type: 'historyNext'}
	| {readonly type: 'clear'}
	/** Put `text` in place of the line's start up to the cursor (Tab completion). */
	| {readonly type: 'replaceBeforeCursor'; readonly text: string}
	/** The line is submitted: into the history (unless empty or a repeat), and a fresh line. */
	| {readonly type: 'submit'};

export const historyLimit = 1000;

export function emptyLine(history: readonly string[] = []): LineState {
	return {text: '', cursor: 0, history, historyIndex: undefined, draft: ''};
}

/** Pasted text goes in as one line: controls (other than the line breaks handled before) are dropped. */
function printable(text: string): string {
	return text.replace(/\t/g, ' ').replace(/[\u0000-\u001F\u007F-\u009F]/gu, '');
}

function edited(state: LineState, text: string, cursor: number): LineState {
	return {...state, text, cursor, historyIndex: undefined, draft: ''};
}

/** `quit`, `q`, `exit` (maybe with `;` or a comment): kept out of the history, or Up+Enter in the next run quits. */
function isQuitLine(line: string): boolean {
	const hash = line.indexOf('#');
	const head = (hash < 0 ? line : line.slice(0, hash)).trim();
	const word = head.endsWith(';') ? head.slice(0, -1).trimEnd() : head;
	return word === 'quit' || word === 'q' || word === 'exit';
}

/** Append `line` unless it is blank, a quit, or repeats the previous entry; keep the newest `limit`. */
export function addToHistory(history: readonly string[], line: string, limit = historyLimit): readonly string[] {
	if (line.trim() === '' || isQuitLine(line) || history.at(-1) === line) {
		return history;
	}

	const next = [...history, line];
	return next.length > limit ? next.slice(next.length - limit) : next;
}

const isWordChar = (char: string | undefined) => char !== undefined && /[\p{L}\p{N}]/u.test(char);

/** Where Alt-B lands: the start of the word before the cursor. */
function wordStartBefore(text: string, cursor: number): number {
	let index = cursor;
	while (index > 0 && !isWordChar(text[index - 1])) {
		index--;
	}

	while (index > 0 && isWordChar(text[index - 1])) {
		index--;
	}

	return index;
}

/** Where Alt-F lands: the end of the word after the cursor. */
function wordEndAfter(text: string, cursor: number): number {
	let index = cursor;
	while (index < text.length && !isWordChar(text[index])) {
		index++;
	}

	while (index < text.length && isWordChar(text[index])) {
		index++;
	}

	return index;
}

/** Where Ctrl-W cuts from: the spaces before the cursor, then the word (readline's unix-word-rubout). */
function unixWordStart(text: string, cursor: number): number {
	let index = cursor;
	while (index > 0 && /\s/u.test(text[index - 1]!)) {
		index--;
	}

	while (index > 0 && !/\s/u.test(text[index - 1]!)) {
		index--;
	}

	return index;
}

/** A key during Ctrl-R: it searches, leaves the search, or takes the match and acts on it. */
function editSearch(state: LineState, action: EditAction): LineState {
	switch (action.type) {
		case 'insert': {
			const added = printable(action.text);
			return added ? searchType(state, added) : state;
		}

		case 'backspace': {
			return searchErase(state);
		}

		case 'searchBack': {
			return searchBack(state);
		}

		case 'searchCancel': {
			return cancelSearch(state);
		}

		case 'clear': {
			return editLine(cancelSearch(state), action);
		}

		default: {
			return editLine(acceptSearch(state), action);
		}
	}
}

/** The prompt's prefix, text and cursor: the line, or during Ctrl-R the search and its match. */
export function promptView(state: LineState, prompt: string): {readonly prefix: string; readonly text: string; readonly cursor: number} {
	const {search} = state;
	if (search === undefined) {
		return {prefix: prompt, text: state.text, cursor: state.cursor};
	}

	const text = search.match === undefined ? '' : state.history[search.match]!;
	const at = text.indexOf(search.query);
	return {prefix: searchPrompt(search), text, cursor: at < 0 ? 0 : at};
}

export function editLine(state: LineState, action: EditAction): LineState {
	if (state.search !== undefined) {
		return editSearch(state, action);
	}

	const {text, cursor} = state;
	switch (action.type) {
		case 'insert': {
			const added = printable(action.text);
			return added ? edited(state, text.slice(0, cursor) + added + text.slice(cursor), cursor + added.length) : state;
		}

		case 'backspace': {
			return cursor === 0 ? state : edited(state, text.slice(0, cursor - 1) + text.slice(cursor), cursor - 1);
		}

		case 'deleteForward': {
			return cursor === text.length ? state : edited(state, text.slice(0, cursor) + text.slice(cursor + 1), cursor);
		}

		case 'left': {
			return {...state, cursor: Math.max(0, cursor - 1)};
		}

		case 'right': {
			return {...state, cursor: Math.min(text.length, cursor + 1)};
		}

		case 'home': {
			return {...state, cursor: 0};
		}

		case 'end': {
			return {...state, cursor: text.length};
		}

		case 'killToStart': {
			return edited(state, text.slice(cursor), 0);
		}

		case 'killToEnd': {
			return edited(state, text.slice(0, cursor), cursor);
		}

		case 'killWordBack': {
			const start = unixWordStart(text, cursor);
			return edited(state, text.slice(0, start) + text.slice(cursor), start);
		}

		case 'killAlnumWordBack': {
			const start = wordStartBefore(text, cursor);
			return edited(state, text.slice(0, start) + text.slice(cursor), start);
		}

		case 'killWordForward': {
			return edited(state, text.slice(0, cursor) + text.slice(wordEndAfter(text, cursor)), cursor);
		}

		case 'wordLeft': {
			return {...state, cursor: wordStartBefore(text, cursor)};
		}

		case 'wordRight': {
			return {...state, cursor: wordEndAfter(text, cursor)};
		}

		case 'searchBack': {
			return searchBack(state);
		}

		case 'searchCancel': {
			return state;
		}

		case 'historyPrev': {
			const index = (state.historyIndex ?? state.history.length) - 1;
			if (index < 0) {
				return state;
			}

			const entry = state.history[index]!;
			return {...state, text: entry, cursor: entry.length, historyIndex: index, draft: state.historyIndex === undefined ? text : state.draft};
		}

		case 'historyNext': {
			if (state.historyIndex === undefined) {
				return state;
			}

			const index = state.historyIndex + 1;
			if (index >= state.history.length) {
				return {...state, text: state.draft, cursor: state.draft.length, historyIndex: undefined, draft: ''};
			}

			const entry = state.history[index]!;
			return {...state, text: entry, cursor: entry.length, historyIndex: index};
		}

		case 'clear': {
			return edited(state, '', 0);
		}

		case 'replaceBeforeCursor': {
			const replacement = printable(action.text);
			return edited(state, replacement + text.slice(cursor), replacement.length);
		}

		case 'submit': {
			return emptyLine(addToHistory(state.history, text));
		}
	}
}
