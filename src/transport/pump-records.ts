/**
 * The little wire between the daemon and its port pump (see port-pump.ts): records of
 * `type (1 byte) | length (uint32 BE) | payload`.
 *
 * pump → daemon: `D` bytes read from the port, `G` the host went away (read() returned 0),
 * `E` a fatal port error (payload: the message).
 * daemon → pump: `W` one frame to write, whole or not at all.
 */
export type PumpRecordType = 'D' | 'G' | 'E' | 'W';

export type PumpRecord = {
	readonly type: PumpRecordType;
	readonly payload: Buffer;
};

const headerBytes = 5;
const types = new Set<string>(['D', 'G', 'E', 'W']);

export function encodePumpRecord(type: PumpRecordType, payload: Buffer = Buffer.alloc(0)): Buffer {
	const out = Buffer.allocUnsafe(headerBytes + payload.length);
	out.write(type, 0, 'latin1');
	out.writeUInt32BE(payload.length, 1);
	payload.copy(out, headerBytes);
	return out;
}

/** Incremental reader: push chunks, get whole records. An unknown type is a bug: it throws. */
export class PumpRecordReader {
	#pending: Buffer = Buffer.alloc(0);

	push(chunk: Buffer): PumpRecord[] {
		this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
		const records: PumpRecord[] = [];
		while (this.#pending.length >= headerBytes) {
			const type = String.fromCharCode(this.#pending[0]!);
			if (!types.has(type)) {
				throw new Error(`port pump: unknown record type 0x${this.#pending[0]!.toString(16)}`);
			}

			const length = this.#pending.readUInt32BE(1);
			if (this.#pending.length < headerBytes + length) {
				break;
			}

			records.push({type: type as PumpRecordType, payload: Buffer.from(this.#pending.subarray(headerBytes, headerBytes + length))});
			this.#pending = this.#pending.subarray(headerBytes + length);
		}

		return records;
	}
}
