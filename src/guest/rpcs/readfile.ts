import fs from 'node:fs';
import {RpcFault} from '../../engine/errors.js';
import {FaultCode, type XmlRpcStruct} from '../../protocol/value.js';
import {describeErrno} from './errno.js';
import {openForHost} from './open-file.js';

/** docs/PROTOCOL.md §8: a va.readfile count over 1 MiB is fault -501. */
export const readfileCountMax = 1024 * 1024;

/**
 * Filesystems whose files stat a size that is not their content's (0 in procfs, 4096 in sysfs):
 * their `size` is reported as -1, "unknown", and the host reads until eof.
 */
const pseudoFilesystems: ReadonlySet<number> = new Set([
	0x9f_a0, // proc
	0x62_65_65_72, // sysfs
	0x64_62_67_20, // debugfs
	0x74_72_61_63, // tracefs
	0x73_63_6d_73, // securityfs
	0x27_e0_eb, // cgroup
	0x63_67_72_70, // cgroup2
	0x42_49_4e_4d, // binfmt_misc
]);

/** An integer parameter (already checked to be one) in 0…max; fault -501 otherwise. */
export function checkRange(value: number, position: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
	if (value < 0 || value > max) {
		throw new RpcFault(FaultCode.typeError, `parameter ${position} (${name}): ${value} is out of range (0 to ${max})`);
	}

	return value;
}

export type ReadfileResult = XmlRpcStruct & {
	readonly data: Buffer;
	readonly eof: boolean;
	readonly size: number;
	readonly mtime: Date;
};

/**
 * At most `count` bytes of a file from `offset`, with what the host needs to tell a file that
 * changed during a copy (its size and mtime now); from a FIFO, its next bytes (a pipe has no
 * offsets). Faults as va.getfile: `open failed: <reason>`, `read failed: <reason>`.
 */
export async function readFileChunk(filePath: string, offset: number, count: number): Promise<ReadfileResult> {
	const {handle, stat} = await openForHost(filePath);
	try {
		const sizeKnown = stat.isFile() && !(await isPseudoFilesystem(filePath));
		// A pipe has no offsets (a positional read fails with ESPIPE): its chunk is its next bytes.
		const stream = stat.isFIFO();
		const buffer = Buffer.allocUnsafe(count);
		let length = 0;
		let reachedEnd = false;
		// procfs and pipes hand out less than asked without being at the end: read until full or 0.
		while (length < count) {
			let bytesRead: number;
			try {
				({bytesRead} = await handle.read(buffer, length, count - length, stream ? null : offset + length));
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
					reachedEnd = true; // nothing more to read now (an empty FIFO)
					break;
				}

				throw new RpcFault(FaultCode.internal, `read failed: ${describeErrno(error)}`);
			}

			if (bytesRead === 0) {
				reachedEnd = true;
				break;
			}

			length += bytesRead;
		}

		const eof = reachedEnd || (sizeKnown && offset + length >= stat.size);
		return {data: Buffer.from(buffer.subarray(0, length)), eof, size: sizeKnown ? stat.size : -1, mtime: stat.mtime};
	} finally {
		await handle.close();
	}
}

async function isPseudoFilesystem(filePath: string): Promise<boolean> {
	try {
		return pseudoFilesystems.has(Number((await fs.promises.statfs(filePath)).type));
	} catch {
		return false;
	}
}
