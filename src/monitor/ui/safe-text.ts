/**
 * Guest strings (method names, fault text, anything) made harmless for the operator's terminal:
 * C0 and C1 controls, DEL and bidi overrides become visible escapes, so no sequence from the
 * guest reaches the terminal raw (PROTOCOL.md §7).
 *
 * A local stand-in until the core's `src/monitor/escape.ts` exists; the outcome text from the
 * session is already escaped and is not passed through here again.
 */
const unsafe = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/gu;

function visible(char: string): string {
	const code = char.codePointAt(0)!;
	if (code < 0x20) {
		return `^${String.fromCodePoint(code + 0x40)}`;
	}

	return code === 0x7F ? '^?' : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of text: newlines and tabs are escaped too (a panel row must stay one row). */
export function safeInline(text: string): string {
	return text.replace(unsafe, visible);
}
