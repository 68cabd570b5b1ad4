/** Tab completion on the text before the cursor, given the session's candidates. */
export type Completion = {
	/** The new text before the cursor, when it changed. */
	readonly text: string | undefined;
	/** Several candidates: shown to the operator as one list line. */
	readonly list: readonly string[];
};

function commonPrefix(words: readonly string[]): string {
	let prefix = words[0] ?? '';
	for (const word of words) {
		while (!word.startsWith(prefix)) {
			prefix = prefix.slice(0, -1);
		}
	}

	return prefix;
}

/**
 * One candidate completes the word (and adds a space); several extend it to their common prefix
 * and are listed. Candidates that do not extend the word under the cursor are ignored.
 */
export function completeWord(before: string, candidates: readonly string[]): Completion {
	// The word before the cursor, found by a loop from the end (/\S*$/ is quadratic on a long line).
	let start = before.length;
	while (start > 0 && !/\s/u.test(before[start - 1]!)) {
		start--;
	}

	const word = before.slice(start);
	const head = before.slice(0, before.length - word.length);
	const matches = [...new Set(candidates.filter(candidate => candidate.startsWith(word)))];
	if (matches.length === 0) {
		return {text: undefined, list: []};
	}

	if (matches.length === 1) {
		return {text: `${head}${matches[0]} `, list: []};
	}

	const prefix = commonPrefix(matches);
	return {text: prefix.length > word.length ? head + prefix : undefined, list: matches.sort()};
}
