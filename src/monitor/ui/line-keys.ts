/**
 * Keys as the line editor's intents: what Ink reports for a key press (or a pasted chunk), in
 * bash's readline bindings.
 */
import type {EditAction} from './line-editor.js';

/** What a key press asks for: an edit, or something only the screen can do. */
export type KeyIntent =
	| EditAction
	| {readonly type: 'complete'}
	| {readonly type: 'interrupt'}
	/** Ctrl-L: clear the terminal and draw the screen again at the top. */
	| {readonly type: 'clearScreen'}
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
	r: {type: 'searchBack'},
	g: {type: 'searchCancel'},
	l: {type: 'clearScreen'},
	i: {type: 'complete'},
	j: {type: 'submit'},
	m: {type: 'submit'},
};

/** Alt plus a letter, as readline binds them. */
const metaKeys: {readonly [letter: string]: KeyIntent} = {
	b: {type: 'wordLeft'},
	f: {type: 'wordRight'},
	d: {type: 'killWordForward'},
};

/**
 * Ink's (input, key) pair as intents. A chunk of text may hold line breaks (a paste, tmux
 * send-keys, text and Enter in one read): each line is inserted and submitted in order.
 * `raw` is the chunk as it came from the terminal: Ink reports Backspace (DEL, 0x7f) and
 * Delete (`ESC[3~`) both as `delete`, and only the raw bytes tell them apart.
 */
export function keyToIntents(input: string, key: KeyFlags, raw = ''): readonly KeyIntent[] {
	// Ctrl-← and Alt-← (Ink: an arrow with a modifier) move by words, as in bash.
	if ((key.leftArrow || key.rightArrow) && (key.ctrl || key.meta)) {
		return [{type: key.leftArrow ? 'wordLeft' : 'wordRight'}];
	}

	if (key.delete) {
		return [key.meta ? {type: 'killAlnumWordBack'} : raw.startsWith('\u001B[3') ? {type: 'deleteForward'} : backspace];
	}

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

	if (key.backspace) {
		return [key.meta ? {type: 'killAlnumWordBack'} : backspace];
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

	if (key.meta && !key.escape) {
		const intent = metaKeys[input];
		return intent ? [intent] : [];
	}

	if (key.escape) {
		return [{type: 'searchCancel'}];
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
		if (code >= 0x20 && code !== 0x7f) {
			run += char;
			continue;
		}

		flush();
		if (char === '\r' && input[index + 1] === '\n') {
			index++;
		}

		const intent = char === '\r' || char === '\n' ? submit : code === 0x7f || code === 0x08 ? backspace : ctrlKeys[String.fromCharCode(code + 0x60)];
		if (intent) {
			intents.push(intent);
		}
	}

	flush();
	return intents;
}
