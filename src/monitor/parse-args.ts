/**
 * HMP-style command lines (PROTOCOL.md §6): a command name, then arguments, each a
 * whitespace-delimited token or a double-quoted string with `\n \r \\ \' \"` escapes.
 * A `#` that starts a token (outside quotes) begins a comment that runs to the end of the line.
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

/** The next token from `position`, or undefined at the end of the line or a comment. */
function readToken(command: string, text: string, position: number): Token | undefined {
	const start = skipSpaces(text, position);
	if (start >= text.length || text[start] === '#') {
		return undefined;
	}

	if (text[start] !== '"') {
		let end = start;
		while (end < text.length && !isSpace(text[end])) {
			end++;
		}

		return {value: text.slice(start, end), end};
	}

	let value = '';
	for (let index = start + 1; index < text.length; index++) {
		const char = text[index]!;
		if (char === '"') {
			return {value, end: index + 1};
		}

		if (char === '\\') {
			const next = text[index + 1];
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
 * quotes, `#` comments run to the end of the line, blank lines are dropped. Quotes are only
 * tracked here, not checked: a broken quote is reported by the command that gets it.
 */
export function splitScript(text: string): string[] {
	const commands: string[] = [];
	for (const line of text.split('\n')) {
		let current = '';
		let quoted = false;
		let tokenStart = true;
		for (let index = 0; index < line.length; index++) {
			const char = line[index]!;
			if (quoted) {
				current += char;
				if (char === '\\' && index + 1 < line.length) {
					current += line[++index];
				} else if (char === '"') {
					quoted = false;
				}

				continue;
			}

			if (char === '#' && tokenStart) {
				break;
			}

			if (char === ';') {
				commands.push(current);
				current = '';
				tokenStart = true;
				continue;
			}

			current += char;
			// As in the parser, a quote only opens a string at the start of a token.
			quoted = char === '"' && tokenStart;
			tokenStart = isSpace(char);
		}

		commands.push(current);
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
