/**
 * JSON from an untrusted peer (docs/PROTOCOL.md §7): nesting deeper than 64 levels is refused
 * by a linear scan BEFORE JSON.parse sees the text, so no input can make a parser or a printer
 * further up recurse without bound. Objects come from JSON.parse, which defines `__proto__` as
 * an own key (never a prototype).
 */
export const maxJsonDepth = 64;

export class JsonInputError extends Error {
	override readonly name = 'JsonInputError';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** The deepest nesting of objects and arrays in `text` (strings skipped), stopping past `limit`. */
export function jsonDepth(text: string, limit = maxJsonDepth): number {
	let depth = 0;
	let deepest = 0;
	for (let index = 0; index < text.length; index++) {
		const code = text.charCodeAt(index);
		if (code === QUOTE) {
			// A string is skipped with indexOf (a base64 payload is megabytes): every character
			// is still looked at a bounded number of times, so the scan stays linear.
			index = closingQuote(text, index + 1);
			if (index < 0) {
				return deepest; // unterminated: JSON.parse refuses it
			}
		} else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
			depth++;
			if (depth > deepest) {
				deepest = depth;
				if (deepest > limit) {
					return deepest;
				}
			}
		} else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
			depth--;
		}
	}

	return deepest;
}

/** Index of the quote that ends a string whose contents start at `from`, or -1. */
function closingQuote(text: string, from: number): number {
	let quote = text.indexOf('"', from);
	while (quote >= 0) {
		let backslashes = 0;
		while (quote - 1 - backslashes >= from && text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) {
			backslashes++;
		}

		if (backslashes % 2 === 0) {
			return quote;
		}

		quote = text.indexOf('"', quote + 1);
	}

	return -1;
}

/** JSON.parse after the depth check; throws JsonInputError with a one-line reason. */
export function parseBoundedJson(text: string, limit = maxJsonDepth): unknown {
	// Each level takes two characters at least ({ and }): a text this short cannot nest deeper
	// than `limit`, and most replies (guest-ping's is 30 bytes) skip the scan.
	if (text.length > 2 * limit + 1 && jsonDepth(text, limit) > limit) {
		throw new JsonInputError(`JSON nested deeper than ${limit} levels`);
	}

	try {
		return JSON.parse(text) as unknown;
	} catch {
		// Not V8's message: it quotes the input, raw, into whatever log shows the error.
		throw new JsonInputError('invalid JSON');
	}
}
