/*
 * Byte-level checks shared by the one-pass readers of our own writers' output (the canonical
 * frame header, the commonest XML-RPC bodies): no string is made to compare.
 */

/** Whether `bytes` holds `part` at `at` (false when it would run past the end). */
export function matchesAt(bytes: Buffer, at: number, part: Buffer): boolean {
	if (at < 0 || at + part.length > bytes.length) {
		return false;
	}

	for (let k = 0; k < part.length; k++) {
		if (bytes[at + k] !== part[k]) {
			return false;
		}
	}

	return true;
}

/** `A-Z a-z 0-9 . _ -`: the bytes of a client tag (PROTOCOL.md §2) and of every method name. */
export function isWordByte(byte: number): boolean {
	return (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2e || byte === 0x5f || byte === 0x2d;
}
