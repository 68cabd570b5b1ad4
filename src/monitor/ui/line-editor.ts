/**
 * The prompt's editing rules as a pure reducer, so that every key can be tested without Ink:
 * emacs-style keys (Ctrl-A/E/U/W/K), history browsing, and submission.
 */
export type LineState = {
	readonly text: string;
	/** Index into `text`, 0…text.length. */
	readonly cursor: number;
	/** Submitted lines, oldest first. */
	readonly history: readonly string[];
	/** The history entry shown while browsing with Up/Down; undefined when editing a new line. */
	readonly historyIndex: number | undefined;
	/** The new line being typed before browsing started, given back by Down past the end. */
	readonly draft: string;
};

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

/** Append `line` unless it is blank or repeats the previous entry; keep the newest `limit`. */
export function addToHistory(history: readonly string[], line: string, limit = historyLimit): readonly string[] {
	if (line.trim() === '' || history.at(-1) === line) {
		return history;
	}

	const next = [...history, line];
	return next.length > limit ? next.slice(next.length - limit) : next;
}

export function editLine(state: LineState, action: EditAction): LineState {
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
			// Like readline's unix-word-rubout: the spaces before the cursor, then the word (loops, as
			// /\S*\s*$/ is quadratic on a long line).
			let end = cursor;
			while (end > 0 && /\s/u.test(text[end - 1]!)) {
				end--;
			}

			while (end > 0 && !/\s/u.test(text[end - 1]!)) {
				end--;
			}

			const before = text.slice(0, end);
			return edited(state, before + text.slice(cursor), before.length);
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

/** What a key press asks for: an edit, or something only the screen can do. */
export type KeyIntent =
	| EditAction
	| {readonly type: 'complete'}
	| {readonly type: 'interrupt'}
	/** Ctrl-D: end of input on an empty line, delete forward otherwise (like a shell). */
	| {readonly type: 'eofOrDelete'};

/** The subset of Ink's `Key` the editor reads. */
export type KeyFlags = {
	readonly upArrow: boolean;
	readonly downArrow: boolean;
	readonly leftArrow: boolean;
	readonly rightArrow: boolean;
	readonly home: boolean;
	readonly end: boolean;
	readonly return: boolean;
	readonly tab: boolean;
	readonly backspace: boolean;
	readonly delete: boolean;
	readonly ctrl: boolean;
	readonly meta: boolean;
	readonly escape: boolean;
};

const submit: KeyIntent = {type: 'submit'};
const backspace: KeyIntent = {type: 'backspace'};

const ctrlKeys: {readonly [letter: string]: KeyIntent} = {
	a: {type: 'home'},
	e: {type: 'end'},
	b: {type: 'left'},
	f: {type: 'right'},
	u: {type: 'killToStart'},
	k: {type: 'killToEnd'},
	w: {type: 'killWordBack'},
	h: {type: 'backspace'},
	p: {type: 'historyPrev'},
	n: {type: 'historyNext'},
	c: {type: 'interrupt'},
	d: {type: 'eofOrDelete'},
	i: {type: 'complete'},
	j: {type: 'submit'},
	m: {type: 'submit'},
};

/**
 * Ink's (input, key) pair as intents. A chunk of text may hold line breaks (a paste, tmux
 * send-keys, text and Enter in one read): each line is inserted and submitted in order.
 */
export function keyToIntents(input: string, key: KeyFlags): readonly KeyIntent[] {
	if (key.ctrl && !key.meta) {
		const intent = ctrlKeys[input];
		return intent ? [intent] : [];
	}

	if (key.return) {
		return [{type: 'submit'}];
	}

	if (key.tab) {
		return [{type: 'complete'}];
	}

	// Ink reports the Backspace key (DEL, 0x7f) as `delete`: both erase backwards, as in a shell.
	if (key.backspace || key.delete) {
		return [{type: 'backspace'}];
	}

	if (key.upArrow) {
		return [{type: 'historyPrev'}];
	}

	if (key.downArrow) {
		return [{type: 'historyNext'}];
	}

	if (key.leftArrow) {
		return [{type: 'left'}];
	}

	if (key.rightArrow) {
		return [{type: 'right'}];
	}

	if (key.home) {
		return [{type: 'home'}];
	}

	if (key.end) {
		return [{type: 'end'}];
	}

	if (key.escape || key.meta) {
		return [];
	}

	// A chunk (a paste, tmux send-keys, a fast typist): text runs are inserted, and each line
	// break or control character in it acts as its key would, in order.
	const intents: KeyIntent[] = [];
	let run = '';
	const flush = () => {
		if (run) {
			intents.push({type: 'insert', text: run});
			run = '';
		}
	};

	for (let index = 0; index < input.length; index++) {
		const char = input[index]!;
		const code = char.charCodeAt(0);
		if (code >= 0x20 && code !== 0x7F) {
			run += char;
			continue;
		}

		flush();
		if (char === '\r' && input[index + 1] === '\n') {
			index++;
		}

		const intent = char === '\r' || char === '\n' ? submit : code === 0x7F || code === 0x08 ? backspace : ctrlKeys[String.fromCharCode(code + 0x60)];
		if (intent) {
			intents.push(intent);
		}
	}

	flush();
	return intents;
}
