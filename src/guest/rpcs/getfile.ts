import fs from 'node:fs';
import {RpcFault} from '../../engine/errors.js';
import {encodeResponse} from '../../protocol/codec.js';
import {FaultCode} from '../../protocol/value.js';
import {describeErrno} from './errno.js';

/**
 * The largest file whose va.getfile reply fits a body of `bodyMax` bytes: base64 turns every 3
 * bytes into 4 characters, inside a fixed XML envelope. Lowered to `getfileMax` when given.
 */
export function getfileLimit(bodyMax: number, getfileMax?: number): number {
	const envelope = encodeResponse(Buffer.alloc(3)).length - 4;
	const fits = Math.max(0, Math.floor((bodyMax - envelope) / 4) * 3);
	return getfileMax === undefined ? fits : Math.min(fits, getfileMax);
}

function tooLarge(size: number | string, limit: number): RpcFault {
	return new RpcFault(FaultCode.internal, `file too large: ${size} bytes (limit ${limit})`);
}

/**
 * The whole file, or a fault that says why not: `open failed: <reason>` (missing, unreadable,
 * a directory), `file too large: N bytes (limit M)` checked before reading, and again while
 * reading (a file that grows, or a device whose size stat does not tell). Files whose stat size
 * is 0 or wrong (procfs, sysfs) are read to their end, up to the limit (PROTOCOL.md §8).
 */
export async function readFileForHost(filePath: string, limit: number): Promise<Buffer> {
	let handle: fs.promises.FileHandle;
	try {
		// O_NONBLOCK: a FIFO must not hang the handler waiting for a writer.
		handle = await fs.promises.open(filePath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
	} catch (error) {
		throw new RpcFault(FaultCode.internal, `open failed: ${describeErrno(error)}`);
	}

	try {
		const stat = await handle.stat();
		if (stat.isDirectory()) {
			throw new RpcFault(FaultCode.internal, 'open failed: is a directory');
		}

		if (stat.size > limit) {
			throw tooLarge(stat.size, limit);
		}

		// Read to EOF: procfs and sysfs report a size of 0 (or a wrong one), so stat only picks the
		// first buffer, which doubles as needed. One byte more than allowed tells a file that grew
		// from one that fits exactly.
		let buffer = Buffer.allocUnsafe(Math.min(limit, Math.max(stat.size, 64 * 1024)) + 1);
		let length = 0;
		for (;;) {
			if (length === buffer.length) {
				// Full but within the limit (a read past it has thrown below): grow.
				const grown = Buffer.allocUnsafe(Math.min(limit + 1, buffer.length * 2));
				buffer.copy(grown, 0, 0, length);
				buffer = grown;
			}

			let bytesRead: number;
			try {
				({bytesRead} = await handle.read(buffer, length, buffer.length - length, null));
			} catch (error) {
				throw new RpcFault(FaultCode.internal, `read failed: ${describeErrno(error)}`);
			}

			if (bytesRead === 0) {
				break;
			}

			length += bytesRead;
			if (length > limit) {
				throw tooLarge(`more than ${limit}`, limit);
			}
		}

		return Buffer.from(buffer.subarray(0, length));
	} finally {
		await handle.close();
	}
}
