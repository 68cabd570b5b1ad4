import {useInput, useStdin} from 'ink';
import {useCallback, useEffect, useRef} from 'react';
import {editLine, emptyLine, type LineState} from './line-editor.js';
import {keyToIntents, type KeyIntent} from './line-keys.js';
import {acceptSearch} from './line-search.js';

export type LineEditorHandlers = {
	/**
	 * A line was entered, once per line, in order; `added` when it went into the history (not
	 * blank, not a repeat of the previous entry), which `history` then ends with.
	 */
	readonly onSubmit: (line: string, history: readonly string[], added: boolean) => void;
	/** Tab: the new text before the cursor, or undefined to leave it. */
	readonly onComplete: (before: string) => string | undefined;
	/** Ctrl-C; `text` is the line it cleared. */
	readonly onInterrupt: (text: string) => void;
	/** Ctrl-D on an empty line. */
	readonly onEof: () => void;
	/** Ctrl-L: clear the terminal (the scrollback stays) and draw the live region at the top. */
	readonly onClearScreen?: () => void;
	/** Any other key (the screen clears its one-shot hints on it). */
	readonly onKey?: () => void;
	/** After each chunk of input: the line may have changed (the screen draws it with its next frame). */
	readonly onChange: () => void;
};

/**
 * The prompt's editor over Ink's `useInput`: every chunk of input becomes intents, applied in
 * order to the latest state (a chunk may hold several lines: each is submitted in turn). It
 * renders nothing by itself: `onChange` asks the screen for a frame, and the line returned is
 * the latest at each render (a machine typing commands costs frames, not a render per chunk).
 */
export function useLineEditor(initialHistory: readonly string[], handlers: LineEditorHandlers, isActive = true): LineState {
	const stateRef = useRef<LineState | undefined>(undefined);
	stateRef.current ??= emptyLine(initialHistory);
	const handlersRef = useRef(handlers);
	handlersRef.current = handlers;
	// The raw chunk of each key press: Ink names both Backspace and Delete `delete`. This
	// listener is added before useInput's (effects run in order), so it sees each chunk first.
	const rawRef = useRef('');
	const {internal_eventEmitter: inputEvents} = useStdin();
	useEffect(() => {
		const remember = (data: string) => {
			rawRef.current = data;
		};

		inputEvents.on('input', remember);
		return () => {
			inputEvents.off('input', remember);
		};
	}, [inputEvents]);

	const apply = useCallback((intent: KeyIntent) => {
		let current = stateRef.current!;
		if (current.search !== undefined && (intent.type === 'submit' || intent.type === 'complete' || intent.type === 'eofOrDelete')) {
			// Enter runs the match Ctrl-R found, as in bash; Tab and Ctrl-D act on it.
			current = acceptSearch(current);
			stateRef.current = current;
		}

		const on = handlersRef.current;
		if (intent.type !== 'interrupt') {
			on.onKey?.();
		}

		switch (intent.type) {
			case 'complete': {
				const text = on.onComplete(current.text.slice(0, current.cursor));
				if (text !== undefined) {
					stateRef.current = editLine(current, {type: 'replaceBeforeCursor', text});
				}

				return;
			}

			case 'clearScreen': {
				on.onClearScreen?.();
				return;
			}

			case 'interrupt': {
				stateRef.current = editLine(current, {type: 'clear'});
				on.onInterrupt(current.text);
				return;
			}

			case 'eofOrDelete': {
				if (current.text === '') {
					on.onEof();
				} else {
					stateRef.current = editLine(current, {type: 'deleteForward'});
				}

				return;
			}

			case 'submit': {
				stateRef.current = editLine(current, intent);
				on.onSubmit(current.text, stateRef.current.history, stateRef.current.history !== current.history);
				return;
			}

			default: {
				stateRef.current = editLine(current, intent);
			}
		}
	}, []);

	useInput(
		(input, key) => {
			for (const intent of keyToIntents(input, key, rawRef.current)) {
				apply(intent);
			}

			handlersRef.current.onChange();
		},
		{isActive},
	);

	return stateRef.current;
}
