/**
 * Reads what a guest sends while `--protocol auto` has not decided yet (docs/PROTOCOL.md §9,
 * the detection rule) and says which protocol it is, as soon as the bytes show it:
 * - a virtagent frame (`0xFF` then `POST ` or `HTTP/`): virtagent. A request (the guest's
 *   va.hello) is replayed to the engine from its 0xFF; a response (the answer to our va.ping
 *   probe) is skipped whole and what follows it is replayed;
 * - one JSON object line holding `return` or `error` (after any 0xFF in it): qemu-ga. Nothing is
 *   replayed: qemu-ga never speaks unasked, and the engine's first request syncs anyway.
 * Linear in the input: each byte is looked at a bounded number of times, and at most
 * `windowMax` bytes are kept (a guest that sends a lot of neither keeps only the tail).
 */
import {parseBoundedJson} from '../../wire/qga/json.js';
import type {GuestProtocol} from './protocol-switch.js';

export type Detection = {
	readonly protocol: GuestProtocol;
	/** Bytes the engine must read as the start of the stream. */
	readonly replay: Buffer;
	/** What gave it away, for the log: `va.hello`, `guest-sync-delimited answered`. */
	readonly evidence: string;
};

const DELIMITER = 0xff;
const NEWLINE = 0x0a;
const headerEnd = Buffer.from('\r\n\r\n', 'latin1');
/** The longest header a virtagent frame may have (docs/PROTOCOL.md §2). */
const headerMax = 4096;

export class ProbeScanner {
	readonly #windowMax: number;
	/** The bytes kept are `#storage[0, #length)`; appends are amortised O(1) (no concat per chunk). */
	#storage = Buffer.alloc(0);
	#length = 0;
	/** Where the 0xFF search resumes (an earlier one may wait for more of its frame). */
	#frameFrom = 0;
	/** Where the current unfinished line starts. */
	#lineFrom = 0;
	/** Where the newline search resumes (a long line is searched once, not once per chunk). */
	#newlineFrom = 0;

	constructor(windowMax = 16 * 1024) {
		this.#windowMax = windowMax;
	}

	push(chunk: Buffer): Detection | undefined {
		this.#append(chunk);
		const buffer = this.#storage.subarray(0, this.#length);
		const found = this.#virtagent(buffer) ?? this.#qga(buffer);
		if (!found && this.#length > this.#windowMax) {
			this.#trim();
		}

		// The replay is copied: the storage is reused.
		return found && {...found, replay: Buffer.from(found.replay)};
	}

	#append(chunk: Buffer): void {
		if (this.#length + chunk.length > this.#storage.length) {
			const grown = Buffer.alloc(Math.max(2 * this.#storage.length, this.#length + chunk.length, 1024));
			this.#storage.copy(grown, 0, 0, this.#length);
			this.#storage = grown;
		}

		chunk.copy(this.#storage, this.#length);
		this.#length += chunk.length;
	}

	#virtagent(buffer: Buffer): Detection | undefined {
		for (let at = buffer.indexOf(DELIMITER, this.#frameFrom); at >= 0; at = buffer.indexOf(DELIMITER, at + 1)) {
			if (buffer.length < at + 6) {
				this.#frameFrom = at; // the word after it has not all come yet
				return undefined;
			}

			const word = buffer.toString('latin1', at + 1, at + 6);
			if (word === 'POST ') {
				return {protocol: 'virtagent', replay: buffer.subarray(at), evidence: 'a virtagent request (va.hello)'};
			}

			if (word === 'HTTP/') {
				const end = frameEnd(buffer, at);
				if (end === 'incomplete') {
					this.#frameFrom = at;
					return undefined;
				}

				if (end !== 'malformed') {
					return {protocol: 'virtagent', replay: buffer.subarray(end), evidence: 'a virtagent answer to va.ping'};
				}
			}
		}

		this.#frameFrom = buffer.length;
		return undefined;
	}

	#qga(buffer: Buffer): Detection | undefined {
		for (let newline = buffer.indexOf(NEWLINE, this.#newlineFrom); newline >= 0; newline = buffer.indexOf(NEWLINE, this.#lineFrom)) {
			const line = buffer.subarray(this.#lineFrom, newline);
			this.#lineFrom = newline + 1;
			this.#newlineFrom = this.#lineFrom;
			const text = line
				.subarray(line.lastIndexOf(DELIMITER) + 1)
				.toString('utf8')
				.trim();
			if (text.startsWith('{') && text.endsWith('}')) {
				const kind = replyKind(text);
				if (kind) {
					return {protocol: 'qga', replay: Buffer.alloc(0), evidence: kind === 'return' ? 'guest-sync-delimited answered' : 'a qemu-ga error reply'};
				}
			}
		}

		this.#newlineFrom = buffer.length;
		return undefined;
	}

	/** Keep the tail: a frame or a line longer than the window cannot be a probe's answer. */
	#trim(): void {
		const drop = this.#length - this.#windowMax / 4;
		this.#storage.copyWithin(0, drop, this.#length);
		this.#length -= drop;
		this.#frameFrom = Math.max(0, this.#frameFrom - drop);
		this.#lineFrom = Math.max(0, this.#lineFrom - drop);
		this.#newlineFrom = Math.max(0, this.#newlineFrom - drop);
	}
}

/** Where the virtagent frame starting at `at` ends (header + Content-Length body). */
function frameEnd(buffer: Buffer, at: number): number | 'incomplete' | 'malformed' {
	const end = buffer.indexOf(headerEnd, at);
	if (end < 0) {
		return buffer.length - at > headerMax ? 'malformed' : 'incomplete';
	}

	const header = buffer.toString('latin1', at + 1, end);
	const length = /^content-length:[ \t]*(\d{1,9})[ \t]*$/imu.exec(header)?.[1];
	if (length === undefined) {
		return 'malformed';
	}

	const bodyEnd = end + headerEnd.length + Number(length);
	return bodyEnd <= buffer.length ? bodyEnd : 'incomplete';
}

/** `return` or `error` when the line is a qemu-ga reply. */
function replyKind(text: string): 'return' | 'error' | undefined {
	let value: unknown;
	try {
		value = parseBoundedJson(text);
	} catch {
		return undefined;
	}

	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		return undefined;
	}

	return Object.hasOwn(value, 'return') ? 'return' : Object.hasOwn(value, 'error') ? 'error' : undefined;
}
