import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {addToHistory, editLine, emptyLine, promptView, type EditAction, type LineState} from '../../../src/monitor/ui/line-editor.js';
import {keyToIntents, type KeyFlags} from '../../../src/monitor/ui/line-keys.js';

const noKey: KeyFlags = {
	upArrow: false,
	downArrow: false,
	leftArrow: false,
	rightArrow: false,
	home: false,
	end: false,
	return: false,
	tab: false,
	backspace: false,
	delete: false,
	ctrl: false,
	meta: false,
	escape: false,
};

function apply(state: LineState, ...actions: EditAction[]): LineState {
	return actions.reduce(editLine, state);
}

function typed(text: string, cursor = text.length): LineState {
	return {...emptyLine(), text, cursor};
}

describe('editLine', () => {
	it('inserts at the cursor and moves it', () => {
		const state = apply(typed('agent_pg', 7), {type: 'insert', text: 'in'});
		expect(state).toMatchObject({text: 'agent_ping', cursor: 9});
	});

	it('drops control characters from pasted text and turns tabs into spaces', () => {
		expect(apply(emptyLine(), {type: 'insert', text: 'a\u001B[2Jb\tc\u0007'}).text).toBe('a[2Jb c');
	});

	it('Ctrl-A/E move to the ends, Ctrl-U/K kill before/after the cursor', () => {
		const line = typed('agent_viewfile /etc/hostname', 14);
		expect(apply(line, {type: 'home'}).cursor).toBe(0);
		expect(apply(line, {type: 'home'}, {type: 'end'}).cursor).toBe(line.text.length);
		expect(apply(line, {type: 'killToStart'})).toMatchObject({text: ' /etc/hostname', cursor: 0});
		expect(apply(line, {type: 'killToEnd'})).toMatchObject({text: 'agent_viewfile', cursor: 14});
	});

	it('Ctrl-W removes the word before the cursor and the spaces after it', () => {
		expect(apply(typed('agent_shutdown  halt  '), {type: 'killWordBack'})).toMatchObject({text: 'agent_shutdown  ', cursor: 16});
		expect(apply(typed('help agent_ping', 4), {type: 'killWordBack'})).toMatchObject({text: ' agent_ping', cursor: 0});
	});

	it('backspace and delete at the edges change nothing', () => {
		const start = typed('ab', 0);
		expect(apply(start, {type: 'backspace'})).toBe(start);
		const end = typed('ab');
		expect(apply(end, {type: 'deleteForward'})).toBe(end);
		expect(apply(typed('abc', 1), {type: 'deleteForward'})).toMatchObject({text: 'ac', cursor: 1});
		expect(apply(typed('abc', 1), {type: 'backspace'})).toMatchObject({text: 'bc', cursor: 0});
	});

	it('browses the history with Up/Down and gives back the draft past the newest entry', () => {
		const state = {...emptyLine(['agent_ping', 'agent_viewdmesg']), text: 'agent_sh', cursor: 8};
		const up = apply(state, {type: 'historyPrev'});
		expect(up).toMatchObject({text: 'agent_viewdmesg', cursor: 15});
		const upUp = apply(up, {type: 'historyPrev'});
		expect(upUp.text).toBe('agent_ping');
		expect(apply(upUp, {type: 'historyPrev'}).text).toBe('agent_ping');
		expect(apply(upUp, {type: 'historyNext'}).text).toBe('agent_viewdmesg');
		expect(apply(upUp, {type: 'historyNext'}, {type: 'historyNext'})).toMatchObject({text: 'agent_sh', cursor: 8, historyIndex: undefined});
	});

	it('submit adds the line to the history, once, and starts a fresh line', () => {
		const once = apply(typed('agent_ping'), {type: 'submit'});
		expect(once).toMatchObject({text: '', cursor: 0, history: ['agent_ping']});
		const twice = apply(once, {type: 'historyPrev'}, {type: 'submit'});
		expect(twice.history).toEqual(['agent_ping']);
		expect(apply(twice, {type: 'insert', text: '  '}, {type: 'submit'}).history).toEqual(['agent_ping']);
	});

	it('keeps the cursor inside the text whatever the keys', () => {
		const action = fc.oneof(
			fc.string({maxLength: 4}).map(text => ({type: 'insert', text}) as const),
			fc.constantFrom<EditAction>(
				{type: 'backspace'},
				{type: 'deleteForward'},
				{type: 'left'},
				{type: 'right'},
				{type: 'home'},
				{type: 'end'},
				{type: 'killToStart'},
				{type: 'killToEnd'},
				{type: 'killWordBack'},
				{type: 'killWordForward'},
				{type: 'wordLeft'},
				{type: 'wordRight'},
				{type: 'searchBack'},
				{type: 'searchCancel'},
				{type: 'historyPrev'},
				{type: 'historyNext'},
				{type: 'submit'},
				{type: 'clear'},
			),
		);
		fc.assert(
			fc.property(fc.array(action, {maxLength: 40}), actions => {
				const state = actions.reduce(editLine, emptyLine(['x', 'yy']));
				return state.cursor >= 0 && state.cursor <= state.text.length && !/[\u0000-\u001F]/u.test(state.text);
			}),
		);
	});
});

describe('readline word moves', () => {
	it('Alt-B/Alt-F move by words of letters and digits, Alt-D kills to the end of the next word', () => {
		const line = typed('agent_viewfile /etc/hostname', 0);
		expect(apply(line, {type: 'wordRight'}).cursor).toBe(5);
		expect(apply(line, {type: 'wordRight'}, {type: 'wordRight'}).cursor).toBe(14);
		expect(apply(line, {type: 'end'}, {type: 'wordLeft'}).cursor).toBe(20);
		expect(apply(line, {type: 'end'}, {type: 'wordLeft'}, {type: 'wordLeft'}).cursor).toBe(16);
		expect(apply(line, {type: 'wordRight'}, {type: 'killWordForward'})).toMatchObject({text: 'agent /etc/hostname', cursor: 5});
		expect(apply(typed('', 0), {type: 'wordLeft'}, {type: 'wordRight'}).cursor).toBe(0);
	});

	it('Ctrl-W on a long line of spaces is linear (no regular expression backtracking)', () => {
		const long = `x${' '.repeat(200_000)}`;
		expect(apply(typed(long), {type: 'killWordBack'})).toMatchObject({text: '', cursor: 0});
	});
});

describe('Ctrl-R reverse search', () => {
	const history = ['agent_viewfile /etc/hostname', 'agent_ping', 'info queues', 'agent_viewfile /etc/services'];
	const start = {...emptyLine(history), text: 'draft', cursor: 5};
	const type = (state: LineState, text: string) => apply(state, {type: 'insert', text});

	it('finds the newest match as the query grows, and older ones with Ctrl-R again', () => {
		const searching = type(apply(start, {type: 'searchBack'}), 'viewf');
		expect(promptView(searching, '> ')).toEqual({prefix: "(reverse-i-search)'viewf': ", text: 'agent_viewfile /etc/services', cursor: 6});
		const older = apply(searching, {type: 'searchBack'});
		expect(promptView(older, '> ').text).toBe('agent_viewfile /etc/hostname');
		const none = apply(older, {type: 'searchBack'});
		expect(promptView(none, '> ')).toMatchObject({prefix: "(failed reverse-i-search)'viewf': ", text: 'agent_viewfile /etc/hostname'});
		expect(promptView(apply(type(searching, 'x'), {type: 'backspace'}), '> ').text).toBe('agent_viewfile /etc/services');
	});

	it('an editing key takes the match; Ctrl-G gives the line back', () => {
		const searching = type(apply(start, {type: 'searchBack'}), 'ping');
		expect(apply(searching, {type: 'end'})).toMatchObject({text: 'agent_ping', cursor: 10, search: undefined, historyIndex: 1});
		expect(apply(searching, {type: 'searchCancel'})).toMatchObject({text: 'draft', cursor: 5, search: undefined});
		expect(apply(searching, {type: 'clear'})).toMatchObject({text: '', search: undefined});
		// Down after taking a match goes on from there, and back to the draft.
		expect(apply(searching, {type: 'end'}, {type: 'historyNext'}).text).toBe('info queues');
	});
});

describe('addToHistory', () => {
	it('keeps quit, q and exit out of the history (Up+Enter must not quit the next run)', () => {
		for (const line of ['quit', 'q', ' exit ', 'quit # bye', 'quit;']) {
			expect(addToHistory(['agent_ping'], line)).toEqual(['agent_ping']);
		}

		expect(addToHistory([], 'quitter')).toEqual(['quitter']);
	});

	it('keeps the newest entries up to the limit', () => {
		let history: readonly string[] = [];
		for (let index = 0; index < 12; index++) {
			history = addToHistory(history, `cmd ${index}`, 10);
		}

		expect(history).toHaveLength(10);
		expect(history[0]).toBe('cmd 2');
		expect(history.at(-1)).toBe('cmd 11');
	});
});

describe('keyToIntents', () => {
	it('submits each line of a chunk in order (a paste, tmux send-keys)', () => {
		expect(keyToIntents('agent_ping\ragent_viewdmesg\nhel', noKey)).toEqual([
			{type: 'insert', text: 'agent_ping'},
			{type: 'submit'},
			{type: 'insert', text: 'agent_viewdmesg'},
			{type: 'submit'},
			{type: 'insert', text: 'hel'},
		]);
		expect(keyToIntents('agent_ping\r\n', noKey)).toEqual([{type: 'insert', text: 'agent_ping'}, {type: 'submit'}]);
	});

	it('acts on control characters inside a chunk as their keys would, in order', () => {
		expect(keyToIntents('ab\u007Fc\u0001\u0006x\tz\u0003', noKey)).toEqual([
			{type: 'insert', text: 'ab'},
			{type: 'backspace'},
			{type: 'insert', text: 'c'},
			{type: 'home'},
			{type: 'right'},
			{type: 'insert', text: 'x'},
			// tmux sends text and Tab in one chunk: the Tab still completes (as in readline).
			{type: 'complete'},
			{type: 'insert', text: 'z'},
			{type: 'interrupt'},
		]);
	});

	it('maps the control keys Ink reports', () => {
		const ctrl = (letter: string) => keyToIntents(letter, {...noKey, ctrl: true});
		expect(ctrl('a')).toEqual([{type: 'home'}]);
		expect(ctrl('e')).toEqual([{type: 'end'}]);
		expect(ctrl('u')).toEqual([{type: 'killToStart'}]);
		expect(ctrl('w')).toEqual([{type: 'killWordBack'}]);
		expect(ctrl('k')).toEqual([{type: 'killToEnd'}]);
		expect(ctrl('c')).toEqual([{type: 'interrupt'}]);
		expect(ctrl('d')).toEqual([{type: 'eofOrDelete'}]);
		expect(ctrl('z')).toEqual([]);
		// Ink calls both Backspace (DEL) and Delete (ESC[3~) `delete`: the raw bytes tell them apart.
		expect(keyToIntents('', {...noKey, delete: true}, '\u007F')).toEqual([{type: 'backspace'}]);
		expect(keyToIntents('', {...noKey, delete: true}, '\u001B[3~')).toEqual([{type: 'deleteForward'}]);
		expect(keyToIntents('', {...noKey, delete: true, meta: true}, '\u001B\u007F')).toEqual([{type: 'killAlnumWordBack'}]);
		expect(ctrl('r')).toEqual([{type: 'searchBack'}]);
		expect(ctrl('g')).toEqual([{type: 'searchCancel'}]);
		expect(ctrl('l')).toEqual([{type: 'clearScreen'}]);
		expect(keyToIntents('', {...noKey, escape: true, meta: true})).toEqual([{type: 'searchCancel'}]);
		expect(keyToIntents('', {...noKey, leftArrow: true, ctrl: true})).toEqual([{type: 'wordLeft'}]);
		expect(keyToIntents('', {...noKey, tab: true})).toEqual([{type: 'complete'}]);
		expect(keyToIntents('', {...noKey, upArrow: true})).toEqual([{type: 'historyPrev'}]);
		expect(keyToIntents('', {...noKey, return: true})).toEqual([{type: 'submit'}]);
		expect(keyToIntents('b', {...noKey, meta: true})).toEqual([{type: 'wordLeft'}]);
		expect(keyToIntents('f', {...noKey, meta: true})).toEqual([{type: 'wordRight'}]);
		expect(keyToIntents('d', {...noKey, meta: true})).toEqual([{type: 'killWordForward'}]);
		expect(keyToIntents('x', {...noKey, meta: true})).toEqual([]);
	});
});
