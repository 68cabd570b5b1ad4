import {isWordByte, matchesAt} from '../../protocol/bytes.js';

/**
 * qemu-ga's reply to a command that has no result (guest-ping, guest-file-close, guest-sync's
 * kin), exactly as qemu-ga writes it (docs/QGA.md): `{"return": {}, "id": "KEY"}`. Read straight
 * from the bytes when the line is that and KEY is of this end's key grammar: no UTF-8 decoding,
 * no JSON parse (together two thirds of reading such a reply). Any other line, one byte off,
 * goes to the JSON parser, which decides every error.
 */
const head = Buffer.from('{"return": {}, "id": "', 'latin1');
const QUOTE = 0x22;
const CLOSE_BRACE = 0x7d;
/** The key grammar of src/wire/types.ts: 1–64 of `A-Z a-z 0-9 . _ -`. */
const keyMax = 64;

/** The key of an empty-result reply written the way qemu-ga writes it, else undefined. */
export function emptyReturnKey(line: Buffer): string | undefined {
	const keyLength = line.length - head.length - 2;
	if (keyLength < 1 || keyLength > keyMax || line[line.length - 2] !== QUOTE || line[line.length - 1] !== CLOSE_BRACE || !matchesAt(line, 0, head)) {
		return undefined;
	}

	for (let i = head.length; i < head.length + keyLength; i++) {
		if (!isWordByte(line[i]!)) {
			return undefined;
		}
	}

	return line.toString('latin1', head.length, head.length + keyLength);
}
