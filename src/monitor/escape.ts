/**
 * Guest data made harmless for the operator's terminal (PROTOCOL.md §7). Nothing the guest sends
 * (file contents, dmesg, method names, fault strings) may reach the terminal raw: an ESC could
 * move the cursor, rewrite the screen, set the title or the clipboard, and a bidi override can
 * make a line read differently from what it is.
 *
 * Notation: `\x1b` for C0 controls and DEL, `\u009b` for C1 controls, `\u202e` for format
 * characters (bidi overrides, zero-width characters), line and paragraph separators and lone
 * surrogates. Backslashes are left as they are (the output is for reading, not for parsing).
 *
 * This is the one rule for untrusted strings at both ends: every monitor view uses it, and the
 * guest daemon's log writes each of its lines through escapeLine (src/guest/log.ts).
 */

/**
 * Every character that may steer a terminal or hide text. Made at its first use: V8 parses a
 * pattern literal when the line that holds it runs, and its Unicode classes cost ~2.2M
 * instructions (~2% of the guest daemon's start-up, which never needs it before its hello).
 */
let unsafePattern: RegExp | undefined;
const unsafe = (): RegExp => (unsafePattern ??= /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu);

function visible(char: string): string {
	const code = char.codePointAt(0)!;
	if (char === '\r') {
		return '\\r';
	}

	if (code < 0x80) {
		return `\\x${code.toString(16).padStart(2, '0')}`;
	}

	return code > 0xff_ff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Multi-line text (a file, dmesg): newlines and tabs stay, CRLF reads as a newline. */
export function escapeUntrusted(text: string): string {
	return text.replaceAll('\r\n', '\n').replace(unsafe(), char => (char === '\n' || char === '\t' ? char : visible(char)));
}

/**
 * Printable ASCII, the usual line, has nothing to escape: tested first (the Unicode pattern is
 * slower). A loop, not a pattern: the guest logs before its hello, and under emulation compiling
 * a pattern there (V8 compiles one at its first runs) cost more than the loop.
 */
function plainAscii(text: string): boolean {
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code < 0x20 || code > 0x7e) {
			return false;
		}
	}

	return true;
}

/** One line (a method name, a fault string, a table cell): newlines and tabs are shown too. */
export function escapeLine(text: string): string {
	if (plainAscii(text)) {
		return text;
	}

	return text.replace(unsafe(), char => (char === '\n' ? '\\n' : char === '\t' ? '\\t' : visible(char)));
}

// Pure: a bundle that never decodes (the guest executable) leaves it out; it costs at start-up.
const strictUtf8 = /* @__PURE__ */ new TextDecoder('utf-8', {fatal: true});

export type ShownBytes = {
	/** Terminal-safe text. */
	readonly text: string;
	/** False when the bytes are not UTF-8 (shown byte by byte). */
	readonly isText: boolean;
};

/**
 * File contents for the screen: UTF-8 text is shown as text (escaped); anything else byte by
 * byte, printable ASCII as is, every other byte as `\xNN`, with `(N bytes, binary)` at the end.
 */
export function showBytes(bytes: Uint8Array): ShownBytes {
	try {
		return {text: escapeUntrusted(strictUtf8.decode(bytes)), isText: true};
	} catch {
		let text = '';
		for (const byte of bytes) {
			text += byte === 0x0a || byte === 0x09 || (byte >= 0x20 && byte < 0x7f) ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
		}

		const suffix = `(${bytes.length} byte${bytes.length === 1 ? '' : 's'}, binary)`;
		return {text: text.length === 0 || text.endsWith('\n') ? `${text}${suffix}` : `${text}\n${suffix}`, isText: false};
	}
}

/** UTF-8 text or undefined (for a JSON `return` value). */
export function utf8OrUndefined(bytes: Uint8Array): string | undefined {
	try {
		return strictUtf8.decode(bytes);
	} catch {
		return undefined;
	}
}

/**
 * One JSON line that is also safe on a terminal: JSON.stringify escapes C0 controls but leaves
 * DEL, C1 controls and bidi overrides raw; those become `\uXXXX` too (still valid JSON).
 */
export function safeJson(value: unknown): string {
	return JSON.stringify(value).replace(unsafe(), char =>
		Array.from({length: char.length}, (_, index) => `\\u${char.charCodeAt(index).toString(16).padStart(4, '0')}`).join(''),
	);
}
