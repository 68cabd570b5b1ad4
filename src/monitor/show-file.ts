/**
 * Guest files and the guest's kernel log as the operator reads them (PROTOCOL.md §7: escaped,
 * never obeyed). Text is shown as text; CRLF keeps its CR visible; binary content is a bounded
 * hexdump in the layout of `xxd`, never megabytes of `\xNN`.
 */
import {escapeUntrusted, utf8OrUndefined} from './escape.js';

/** Bytes of a binary file shown before the hexdump stops (32 lines of 16). */
export const hexdumpBytes = 512;

/** A file's contents, for the screen. `saveHint` says how to get the whole of a binary file. */
export function showFile(bytes: Uint8Array, saveHint: string): string {
	if (bytes.length === 0) {
		return '(empty file: 0 bytes)';
	}

	const text = utf8OrUndefined(bytes);
	if (text !== undefined) {
		return showText(text);
	}

	const shown = Math.min(bytes.length, hexdumpBytes);
	const more = shown < bytes.length ? `, the first ${shown} shown` : '';
	return `${hexdump(bytes.subarray(0, shown))}\n(${countBytes(bytes.length)}, binary${more}; ${saveHint})`;
}

/** Text with its CRLF line ends kept visible (`line\r`), every other control escaped. */
export function showText(text: string): string {
	return text
		.split('\r\n')
		.map(part => escapeUntrusted(part))
		.join('\\r\n');
}

/** `1 byte`, `1,400,000 bytes`. */
export function countBytes(count: number): string {
	return `${count.toLocaleString('en-US')} byte${count === 1 ? '' : 's'}`;
}

/** `00000010: 0201 0100 0000 0000 0000 0000 0000 0000  ................` a line, as `xxd` prints. */
export function hexdump(bytes: Uint8Array): string {
	const lines: string[] = [];
	for (let offset = 0; offset < bytes.length; offset += 16) {
		const row = bytes.subarray(offset, offset + 16);
		let hex = '';
		let ascii = '';
		for (let index = 0; index < 16; index++) {
			const byte = row[index];
			hex += byte === undefined ? '  ' : byte.toString(16).padStart(2, '0');
			if (index % 2 === 1 && index < 15) {
				hex += ' ';
			}

			if (byte !== undefined) {
				ascii += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
			}
		}

		lines.push(`${offset.toString(16).padStart(8, '0')}: ${hex}  ${ascii}`);
	}

	return lines.join('\n');
}

const strictUtf8 = new TextDecoder('utf-8', {fatal: true});
/** A run of the `\xNN` escapes that dmesg and /dev/kmsg write for bytes they will not print. */
const kernelEscapes = /(?:\\x[\da-f]{2})+/giu;
/** What may be shown as itself: a tab, or a character that neither steers a terminal nor hides. */
const safeChar = /^(?:\t|[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\\])$/u;

/**
 * The guest's kernel log: the kernel's own escapes become the character they stand for when
 * that is safe to show (`\x09` a tab, `\xc3\xa9` an é), and stay as written otherwise
 * (`\x1b`, `\x5c`); then everything is escaped as any guest text is.
 */
export function showDmesg(text: string): string {
	const decoded = text.replace(kernelEscapes, run => {
		const bytes = Buffer.from(run.replaceAll('\\x', ''), 'hex');
		let chars: string;
		try {
			chars = strictUtf8.decode(bytes);
		} catch {
			return run;
		}

		return Array.from(chars, char =>
			safeChar.test(char) ? char : Array.from(Buffer.from(char), byte => `\\x${byte.toString(16).padStart(2, '0')}`).join(''),
		).join('');
	});
	return showText(decoded);
}
