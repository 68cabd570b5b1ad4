import {escapeLine} from '../monitor/escape.js';
import {utcIsoPrefix} from './utc-time.js';

/**
 * The daemon's log: one line per event on stderr. Levels are syslog's. Under systemd
 * (JOURNAL_STREAM set) each line starts with the `<N>` priority prefix the journal understands
 * and carries no timestamp (the journal adds one); elsewhere a line is
 * `2025-01-01T12:00:00.000Z info: message`.
 *
 * Messages carry what the host sent (method names, tags, parameters, fault strings), so every
 * line is escaped here, at the one place lines are written (PROTOCOL.md §7): no control, escape
 * sequence, bidi override or line separator reaches stderr or the journal raw, and one event is
 * one line whatever a caller passes in.
 */
export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'err';

const priority: Readonly<Record<LogLevel, number>> = {err: 3, warning: 4, notice: 5, info: 6, debug: 7};

export type GuestLog = {
	readonly verbose: boolean;
	log(level: LogLevel, message: string): void;
};

export type GuestLogOptions = {
	/** Also write `debug` lines (state transitions, jobs, retries). */
	readonly verbose: boolean;
	readonly write?: (line: string) => void;
	/** Journal-style `<N>` prefixes instead of timestamps (default: when JOURNAL_STREAM is set). */
	readonly journal?: boolean;
	readonly now?: () => Date;
};

export function createGuestLog(options: GuestLogOptions): GuestLog {
	const write = options.write ?? ((line: string) => process.stderr.write(line));
	const journal = options.journal ?? Boolean(process.env['JOURNAL_STREAM']);
	const timestamp = options.now ? () => options.now!().toISOString() : isoNow;
	return {
		verbose: options.verbose,
		log(level, message) {
			if (level === 'debug' && !options.verbose) {
				return;
			}

			const text = escapeLine(message);
			write(journal ? `<${priority[level]}>${text}\n` : `${timestamp()} ${level}: ${text}\n`);
		},
	};
}

let isoSecond = -1;
let isoPrefix = '';

/**
 * `new Date().toISOString()`, built once a second: a log line per RPC paid ~140 µs for it in a
 * guest under software emulation, more than the rest of the line.
 */
function isoNow(): string {
	const now = Date.now();
	const second = Math.floor(now / 1000);
	if (second !== isoSecond) {
		isoSecond = second;
		isoPrefix = utcIsoPrefix(second);
	}

	return `${isoPrefix}${String(now % 1000).padStart(3, '0')}Z`;
}

/** Containers below this many levels are summarized as `[…]`/`{…}`: the host controls the depth. */
const summaryDepth = 3;

/**
 * A short, printable rendering of a value from or for the host, for log lines: strings quoted
 * with control characters escaped (the log may end up on a terminal), bytes as a count, long
 * things cut, deep things elided (no recursion on the host's depth).
 */
export function summarizeValue(value: unknown, room = 80, depth = 0): string {
	if (typeof value === 'string') {
		const text = quote(value.length > room ? `${value.slice(0, room)}…` : value);
		return `${text}${value.length > room ? ` (${value.length} chars)` : ''}`;
	}

	if (Buffer.isBuffer(value)) {
		return `<${value.length} bytes>`;
	}

	if (Array.isArray(value)) {
		if (depth >= summaryDepth) {
			return `[… ${value.length} items]`;
		}

		const inner = value
			.slice(0, 8)
			.map(item => summarizeValue(item, 24, depth + 1))
			.join(', ');
		return `[${inner}${value.length > 8 ? `, … ${value.length} items` : ''}]`;
	}

	if (value instanceof Date) {
		return value.toISOString();
	}

	if (value !== null && typeof value === 'object') {
		const keys = Object.keys(value);
		if (depth >= summaryDepth) {
			return `{… ${keys.length} members}`;
		}

		const inner = keys
			.slice(0, 6)
			.map(key => `${quote(key.length > 24 ? `${key.slice(0, 24)}…` : key)}: ${summarizeValue((value as Record<string, unknown>)[key], 24, depth + 1)}`)
			.join(', ');
		return `{${inner}${keys.length > 6 ? ', …' : ''}}`;
	}

	return String(value);
}

export function summarizeParams(params: readonly unknown[]): string {
	return `(${params.map(param => summarizeValue(param, 60)).join(', ')})`;
}

/** JSON quoting, plus DEL, the C1 controls (CSI is 0x9B) and line separators escaped. */
export function quote(text: string): string {
	return JSON.stringify(text).replace(/[\u007f-\u009f\u2028\u2029]/g, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
