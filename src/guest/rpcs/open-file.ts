import fs from 'node:fs';
import {RpcFault} from '../../engine/errors.js';
import {FaultCode} from '../../protocol/value.js';
import {describeErrno} from './errno.js';

export type OpenFile = {readonly handle: fs.promises.FileHandle; readonly stat: fs.Stats};

/**
 * A guest file opened for the host to read (va.getfile, va.readfile), or fault -500
 * `open failed: <reason>` (missing, unreadable, a directory). The caller closes the handle.
 */
export async function openForHost(filePath: string): Promise<OpenFile> {
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

		return {handle, stat};
	} catch (error) {
		await handle.close();
		throw error;
	}
}
