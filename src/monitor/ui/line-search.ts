/**
 * Ctrl-R, bash's reverse-i-search, as pure steps over the line state: typing narrows the search,
 * Ctrl-R again finds the next older match, Enter runs the match, Ctrl-G or Escape gives the
 * original line back, and any other editing key takes the match and acts on it.
 */
import type {LineState, SearchState} from './line-state.js';

/** The newest entry at or before `from` that contains `query`. */
function findBack(history: readonly string[], query: string, from: number): number | undefined {
	for (let index = Math.min(from, history.length - 1); index >= 0; index--) {
		if (history[index]!.includes(query)) {
			return index;
		}
	}

	return undefined;
}

/** Look from `from` for `query`; keep the last match shown when nothing (older) matches. */
function searched(state: LineState, query: string, from: number, previous: SearchState | undefined): LineState {
	const found = query === '' ? undefined : findBack(state.history, query, from);
	const search: SearchState = found === undefined ? {query, match: previous?.match, failed: query !== ''} : {query, match: found, failed: false};
	return {...state, search};
}

/** Ctrl-R: start a search, or look for the next older match. */
export function searchBack(state: LineState): LineState {
	const {search} = state;
	if (search === undefined) {
		return {...state, search: {query: '', match: undefined, failed: false}};
	}

	const from = search.match === undefined ? state.history.length - 1 : search.match - 1;
	const next = search.query === '' ? undefined : findBack(state.history, search.query, from);
	return next === undefined ? {...state, search: {...search, failed: search.query !== ''}} : {...state, search: {...search, match: next, failed: false}};
}

/** Typed text narrows the search (the shown match stays while it still matches). */
export function searchType(state: LineState, text: string): LineState {
	const search = state.search!;
	return searched(state, search.query + text, search.match ?? state.history.length - 1, search);
}

/** Backspace shortens the query and looks again from the newest entry. */
export function searchErase(state: LineState): LineState {
	const search = state.search!;
	return searched(state, search.query.slice(0, -1), state.history.length - 1, undefined);
}

/** The match becomes the line being edited (cursor at the match), browsing from there. */
export function acceptSearch(state: LineState): LineState {
	const {search} = state;
	if (search?.match === undefined) {
		return {...state, search: undefined};
	}

	const text = state.history[search.match]!;
	const at = text.indexOf(search.query);
	return {
		...state,
		text,
		cursor: at < 0 ? text.length : at,
		historyIndex: search.match,
		draft: state.historyIndex === undefined ? state.text : state.draft,
		search: undefined,
	};
}

/** Ctrl-G, Escape: the line as it was before the search. */
export function cancelSearch(state: LineState): LineState {
	return {...state, search: undefined};
}

/** What the prompt shows while searching: bash's `(reverse-i-search)'query': match`. */
export function searchPrompt(search: SearchState): string {
	return `(${search.failed ? 'failed ' : ''}reverse-i-search)'${search.query}': `;
}
