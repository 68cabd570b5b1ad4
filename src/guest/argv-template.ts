/**
 * Commands given on the command line (`--shutdown-command`, `--dmesg-command`) are split into
 * an argv here and run without a shell: a placeholder filled from the host's request can never
 * become shell syntax.
 */

/**
 * What `/\s/` matches (ASCII and Unicode blanks), without a pattern: the guest splits its commands
 * before its hello, and under emulation compiling a pattern there cost more than this test.
 */
function isBlank(code: number): boolean {
	if (code <= 0x20) {
		return code === 0x20 || (code >= 0x09 && code <= 0x0d);
	}

	return (
		code === 0xa0 ||
		code === 0x16_80 ||
		(code >= 0x20_00 && code <= 0x20_0a) ||
		code === 0x20_28 ||
		code === 0x20_29 ||
		code === 0x20_2f ||
		code === 0x20_5f ||
		code === 0x30_00 ||
		code === 0xfe_ff
	);
}

/**
 * Split like a shell would, quoting only: words are separated by blanks; '…' is literal; "…"
 * takes \" and \\ escapes; a backslash outside quotes escapes the next character. No
 * expansion of any kind. Throws on an unterminated quote or an empty command.
 */
export function splitCommandLine(text: string): string[] {
	const words: string[] = [];
	let word = '';
	let inWord = false;
	let quote: "'" | '"' | undefined;
	for (let i = 0; i < text.length; i++) {
		const char = text[i]!;
		if (quote === "'") {
			if (char === "'") {
				quote = undefined;
			} else {
				word += char;
			}
		} else if (quote === '"') {
			if (char === '"') {
				quote = undefined;
			} else if (char === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
				word += text[++i];
			} else {
				word += char;
			}
		} else if (char === "'" || char === '"') {
			quote = char;
			inWord = true;
		} else if (char === '\\' && i + 1 < text.length) {
			word += text[++i];
			inWord = true;
		} else if (isBlank(char.charCodeAt(0))) {
			if (inWord) {
				words.push(word);
				word = '';
				inWord = false;
			}
		} else {
			word += char;
			inWord = true;
		}
	}

	if (quote) {
		throw new Error(`unterminated ${quote === '"' ? 'double' : 'single'} quote`);
	}

	if (inWord) {
		words.push(word);
	}

	if (words.length === 0) {
		throw new Error('empty command');
	}

	return words;
}

/** Replace `{name}` in every word with its value; unknown placeholders stay as written. */
export function fillTemplate(argv: readonly string[], values: Readonly<Record<string, string>>): string[] {
	return argv.map(word => word.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? values[name]! : whole)));
}
