/** The prompt's line as data: what the editing reducer (line-editor.ts) and Ctrl-R's search (line-search.ts) both step. */

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
	/** Ctrl-R: a reverse search through the history is under way. */
	readonly search?: SearchState;
};

export type SearchState = {
	readonly query: string;
	/** The history entry shown, undefined before anything matched. */
	readonly match: number | undefined;
	/** The query matches nothing (older than the last match). */
	readonly failed: boolean;
};
