/**
 * One line on several guests at once (`@all agent_ping`): every guest runs it on its own
 * session, each result is labelled with the guest's name and handed on as it arrives, and a
 * summary line closes it: `12 ok, 1 failed: db2 ETIMEDOUT`.
 */
import type {CommandOutcome} from '../session-api.js';

/** `web1: ok`; a multi-line result under its name, indented, so every line says whose it is. */
export function labelled(guest: string, outcome: CommandOutcome): CommandOutcome {
	const lines = outcome.text.replace(/\n$/u, '').split('\n');
	const text =
		outcome.text === ''
			? `${guest}: ${outcome.ok ? 'ok' : 'failed'}`
			: lines.length === 1
				? `${guest}: ${lines[0]}`
				: [`${guest}:`, ...lines.map(line => `  ${line}`)].join('\n');
	return {...outcome, guest, text};
}

/** Why a guest failed, in one word: `ETIMEDOUT`, `ECONNRESET`, `fault -32000`, `CommandNotFound`. */
export function failureCode(outcome: CommandOutcome): string {
	if (outcome.ok) {
		return 'ok';
	}

	const code = outcome.error.data?.code;
	return code === undefined ? outcome.error.class : typeof code === 'number' ? `fault ${code}` : code;
}

/** Failures named in the summary before the rest are counted. */
const namedFailuresMax = 10;

/** `3 ok`, `12 ok, 1 failed: db2 ETIMEDOUT`, `0 ok, 40 failed: a ENOTCONN, …, and 30 more`. */
export function summarize(parts: readonly CommandOutcome[]): string {
	const failed = parts.filter(part => !part.ok);
	const ok = parts.length - failed.length;
	if (failed.length === 0) {
		return `${ok} ok`;
	}

	const named = failed.slice(0, namedFailuresMax).map(part => `${part.guest ?? '?'} ${failureCode(part)}`);
	const more = failed.length > named.length ? `, and ${failed.length - named.length} more` : '';
	return `${ok} ok, ${failed.length} failed: ${named.join(', ')}${more}`;
}

/**
 * Run `run` for every guest at once; `onPart` sees each labelled result as it arrives. The
 * outcome's text is every part, in arrival order, then the summary; ok only if all were.
 */
export async function fanOut(
	guests: readonly string[],
	line: string,
	run: (guest: string) => Promise<CommandOutcome>,
	onPart: (part: CommandOutcome) => void,
): Promise<CommandOutcome> {
	const started = performance.now();
	const parts: CommandOutcome[] = [];
	await Promise.all(
		guests.map(async guest => {
			const part = labelled(guest, await run(guest));
			parts.push(part);
			onPart(part);
		}),
	);
	const summary = summarize(parts);
	const text = [...parts.map(part => part.text), summary].join('\n');
	const command = line.trim().split(/\s/u)[0] ?? '';
	const ms = performance.now() - started;
	const fanOutFields = {fanOut: {parts, summary}};
	const failed = parts.find(part => !part.ok);
	return failed === undefined || failed.ok
		? {ok: true, command, value: {guests: parts.length, ok: parts.length}, text, ms, ...fanOutFields}
		: {ok: false, command, error: {class: 'GenericError', desc: summary}, text, ms, ...fanOutFields};
}
