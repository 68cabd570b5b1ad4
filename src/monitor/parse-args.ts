/**
 * HMP-style command lines (PROTOCOL.md §6): a command name, then arguments. An argument is a
 * double-quoted string with `\n \r \\ \' \"` escapes, a single-quoted string taken as it is (as
 * in a shell), or a whitespace-delimited token in which a backslash escapes a space, a tab, a
 * quote, a backslash, `#` or `;` (`/tmp/my\ file`); any other backslash stays (`C:\dir`).
 * A quote opens a string only at the start of a token. A `#` that starts a token (outside
 * quotes) begins a comment that runs to the end of the line.
 */

export type ArgSpec = {
	readonly name: string;
	readonly optional?: boolean;
	/** Allowed values (checked here, and offered by tab completion). */
	readonly choices?: readonly string[];
	/** The rest of the line as typed (a command line for `timeout`); must be last. */
	readonly rest?: boolean;
};

/** A line the operator must fix; the message is the whole line shown to them. */
export class CommandLineError extends Error {
	override readonly name = 'CommandLineError';
}

type Token = {readonly value: string; readonly end: number};

const quotedEscapes: Readonly<Record<string, string>> = {n: '\n', r: '\r', '\\': '\\', "'": "'", '"': '"'};
/** What a backslash escapes outside quotes; before anything else it is a plain backslash. */
const bareEscapes: ReadonlySet<string> = new Set([' ', '\t', '\\', "'", '"', '#', ';']);

function isSpace(char: string | undefined): boolean {
	return char === ' ' || char === '\t' || char === '\n' || char === '\r';
}

function skipSpaces(text: string, position: number): number {
	let index = position;
	while (isSpace(text[index])) {
		index++;
	}

	return index;
}

/** Where the token at `start` ends; a broken quote runs to the end (the parser reports it). */
function tokenEnd(text: string, start: number, stopAtSemicolon: boolean): number {
	const quote = text[start];
	if (quote === "'") {
		const close = text.indexOf("'", start + 1);
		return close < 0 ? text.length : close + 1;
	}

	if (quote === '"') {
		for (let index = start + 1; index < text.length; index++) {
			if (text[index] === '\\') {
				index++;
			} else if (text[index] === '"') {
				return index + 1;
			}
		}

		return text.length;
	}

	let index = start;
	while (index < text.length && !isSpace(text[index]) && !(stopAtSemicolon && text[index] === ';')) {
		index += text[index] === '\\' && bareEscapes.has(text[index + 1] ?? '') ? 2 : 1;
	}

	return index;
}

/** The next token from `position`, or undefined at the end of the line or a comment. */
function readToken(command: string, text: string, position: number): Token | undefined {
	const start = skipSpaces(text, position);
	if (start >= text.length || text[start] === '#') {
		return undefined;
	}

	const end = tokenEnd(text, start, false);
	const raw = text.slice(start, end);
	if (raw[0] === "'") {
		if (raw.length < 2 || !raw.endsWith("'")) {
			throw new CommandLineError(`${command}: unterminated string literal`);
		}

		return {value: raw.slice(1, -1), end};
	}

	if (raw[0] === '"') {
		return {value: unquoteDouble(command, raw), end};
	}

	return {value: raw.replace(/\\([\s\S])/gu, (pair, char: string) => (bareEscapes.has(char) ? char : pair)), end};
}

/** `"…"` with its escapes; `raw` runs from the opening quote to the closing one (if any). */
function unquoteDouble(command: string, raw: string): string {
	let value = '';
	for (let index = 1; index < raw.length; index++) {
		const char = raw[index]!;
		if (char === '"') {
			return value;
		}

		if (char === '\\') {
			const next = raw[index + 1];
			const replacement = next === undefined ? undefined : quotedEscapes[next];
			if (replacement === undefined) {
				throw new CommandLineError(`${command}: unsupported escape code: '\\${next ?? ''}'`);
			}

			value += replacement;
			index++;
		} else {
			value += char;
		}
	}

	throw new CommandLineError(`${command}: unterminated string literal`);
}

export type SplitLine = {
	/** The command name, '' for an empty or comment-only line. */
	readonly name: string;
	/** Everything after the name. */
	readonly rest: string;
};

export function splitCommand(line: string): SplitLine {
	const start = skipSpaces(line, 0);
	if (start >= line.length || line[start] === '#') {
		return {name: '', rest: ''};
	}

	let end = start;
	while (end < line.length && !isSpace(line[end])) {
		end++;
	}

	return {name: line.slice(start, end), rest: line.slice(end)};
}

/**
 * Parse `rest` against the command's arguments. A missing required argument is
 * `<cmd>: string expected`, anything left over `<cmd>: extraneous characters at the end of line`.
 * Missing optional arguments are undefined.
 */
export function parseArguments(command: string, rest: string, specs: readonly ArgSpec[]): Array<string | undefined> {
	const values: Array<string | undefined> = [];
	let position = 0;
	for (const spec of specs) {
		if (spec.rest) {
			const remainder = rest.slice(position).trim();
			if (remainder === '' && !spec.optional) {
				throw new CommandLineError(`${command}: string expected`);
			}

			values.push(remainder === '' ? undefined : remainder);
			return values;
		}

		const token = readToken(command, rest, position);
		if (!token) {
			if (!spec.optional) {
				throw new CommandLineError(`${command}: string expected`);
			}

			values.push(undefined);
			continue;
		}

		if (spec.choices && !spec.choices.includes(token.value)) {
			throw new CommandLineError(`${command}: invalid ${spec.name} '${token.value}' (expected ${listChoices(spec.choices)})`);
		}

		values.push(token.value);
		position = token.end;
	}

	if (readToken(command, rest, position) !== undefined) {
		throw new CommandLineError(`${command}: extraneous characters at the end of line`);
	}

	return values;
}

function listChoices(choices: readonly string[]): string {
	return choices.length <= 1 ? choices.join('') : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)!}`;
}

/**
 * A script (piped stdin or `-c`) as command lines: one per line, `;` separates commands outside
 * quotes, `#` comments run to the end of the line, blank lines are dropped. Tokens are found as
 * the parser finds them, but not checked: a broken quote is reported by the command that gets it.
 */
export function splitScript(text: string): string[] {
	const commands: string[] = [];
	for (const line of text.split('\n')) {
		let commandStart = 0;
		let index = skipSpaces(line, 0);
		while (index < line.length && line[index] !== '#') {
			if (line[index] === ';') {
				commands.push(line.slice(commandStart, index));
				commandStart = index + 1;
				index = skipSpaces(line, index + 1);
				continue;
			}

			index = skipSpaces(line, tokenEnd(line, index, true));
		}

		commands.push(line.slice(commandStart, index));
	}

	return commands.map(command => command.trim()).filter(command => command.length > 0);
}

/** The closest candidate to a mistyped name (edit distance with transpositions), if close. */
export function suggest(name: string, candidates: readonly string[]): string | undefined {
	let best: string | undefined;
	let bestDistance = Number.POSITIVE_INFINITY;
	for (const candidate of candidates) {
		const distance = editDistance(name, candidate);
		if (distance < bestDistance) {
			best = candidate;
			bestDistance = distance;
		}
	}

	const allowed = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
	return bestDistance <= allowed ? best : undefined;
}

/** Optimal string alignment distance: `agent_pnig` is one step from `agent_ping`. */
function editDistance(a: string, b: string): number {
	const rows = a.length + 1;
	const cols = b.length + 1;
	const table: number[][] = Array.from({length: rows}, (_, i) => Array.from({length: cols}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
	for (let i = 1; i < rows; i++) {
		for (let j = 1; j < cols; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			let value = Math.min(table[i - 1]![j]! + 1, table[i]![j - 1]! + 1, table[i - 1]![j - 1]! + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
				value = Math.min(value, table[i - 2]![j - 2]! + 1);
			}

			table[i]![j] = value;
		}
	}

	return table[a.length]![b.length]!;
}
