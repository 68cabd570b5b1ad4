/**
 * Where `agent_getfile` reads a guest file from, one chunk at a time: va.readfile on a virtagent
 * guest (docs/PROTOCOL.md §8), guest-file-open/read/close on qemu-ga (§9). The copier
 * (copy-file.ts) knows nothing else about either protocol.
 */
export type Chunk = {
	readonly data: Buffer;
	readonly eof: boolean;
	/** The file's size and mtime when this chunk was read, when the guest says (virtagent). */
	readonly size?: number;
	readonly mtime?: Date;
};

export type ChunkSource = {
	/**
	 * true: each read continues where the previous one ended (a qemu-ga handle's position);
	 * false: reads name their offset (va.readfile), so a short read leaves a gap to re-read.
	 */
	readonly sequential: boolean;
	/** Reads that may be in flight at once (more is pipelining the guest cannot use). */
	readonly depth: number;
	/** The guest reports size and mtime, so a change during the copy can be detected. */
	readonly canCheckChanges: boolean;
	read(offset: number, count: number): Promise<Chunk>;
	/** Always called once, also after a failure (a qemu-ga handle outlives the connection). */
	close(): Promise<void>;
};

/** How a source calls the guest: the session's call, with the command's deadline. */
export type GuestCall = (method: string, params: readonly unknown[]) => Promise<unknown>;

export class ChunkError extends Error {
	override readonly name = 'VirtagentFailed';
	readonly code = 'EPROTO';
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function integer(value: unknown): number | undefined {
	const number = typeof value === 'bigint' ? Number(value) : value;
	return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
}

/** va.readfile(path, offset, count) → {data, eof, size, mtime}; `readfile` makes the call. */
export function virtagentSource(readfile: (offset: number, count: number) => Promise<unknown>, depth: number): ChunkSource {
	return {
		sequential: false,
		depth,
		canCheckChanges: true,
		async read(offset, count) {
			const result = await readfile(offset, count);
			if (!isObject(result) || !Buffer.isBuffer(result['data']) || typeof result['eof'] !== 'boolean') {
				throw new ChunkError('va.readfile returned something other than {data, eof, size, mtime}');
			}

			const data = result['data'];
			if (data.length > count) {
				throw new ChunkError(`va.readfile returned ${data.length} bytes for a count of ${count}`);
			}

			const size = integer(result['size']);
			const mtime = result['mtime'] instanceof Date ? result['mtime'] : undefined;
			return {data, eof: result['eof'], size: size === -1 ? undefined : size, mtime};
		},
		async close() {
			// Nothing is held open on a virtagent guest between reads.
		},
	};
}

/**
 * guest-file-open (mode "r" only: other modes create or truncate files), guest-file-read on the
 * handle, guest-file-close. `leftover` gets the handle when the close cannot be delivered (the
 * connection dropped): qemu-ga keeps it open until someone closes it on a later connection.
 */
export async function qgaSource(
	call: GuestCall,
	guestPath: string,
	depth: number,
	leftover: (handle: number) => void,
	options: {readonly canSeek?: boolean} = {},
): Promise<ChunkSource> {
	const handle = integer(await call('guest-file-open', [{path: guestPath, mode: 'r'}]));
	if (handle === undefined) {
		throw new ChunkError('guest-file-open returned something other than a handle');
	}

	// The size, for the progress bar's ETA only (qemu-ga has no stat): where a seek to the end lands.
	let size: number | undefined;
	try {
		size = options.canSeek ? await sizeBySeeking(call, handle) : undefined;
	} catch (error) {
		await closeHandle(call, handle, leftover);
		throw error;
	}

	return {
		sequential: true,
		depth,
		canCheckChanges: false,
		async read(_offset, count) {
			const result = await call('guest-file-read', [{handle, count}]);
			const read = isObject(result) ? integer(result['count']) : undefined;
			const b64 = isObject(result) ? result['buf-b64'] : undefined;
			if (!isObject(result) || read === undefined || typeof b64 !== 'string' || typeof result['eof'] !== 'boolean') {
				throw new ChunkError('guest-file-read returned something other than {count, buf-b64, eof}');
			}

			const data = Buffer.from(b64, 'base64');
			if (data.length !== read || read > count) {
				throw new ChunkError(`guest-file-read said ${read} bytes and sent ${data.length} (count ${count})`);
			}

			return {data, eof: result['eof'], ...(size === undefined ? {} : {size})};
		},
		async close() {
			await closeHandle(call, handle, leftover);
		},
	};
}

async function closeHandle(call: GuestCall, handle: number, leftover: (handle: number) => void): Promise<void> {
	try {
		await call('guest-file-close', [{handle}]);
	} catch (error) {
		// An error reply means it is closed (or never was); anything else: try again later.
		if ((error as Error).name !== 'RPCFailed') {
			leftover(handle);
		}
	}
}

/**
 * guest-file-seek to the end and back: the file's size then. A failed first seek only means no
 * size; a failed seek back throws (the reads would start at the end: an empty copy).
 */
async function sizeBySeeking(call: GuestCall, handle: number): Promise<number | undefined> {
	let end: unknown;
	try {
		end = await call('guest-file-seek', [{handle, offset: 0, whence: 'end'}]);
	} catch {
		return undefined;
	}

	const back = await call('guest-file-seek', [{handle, offset: 0, whence: 'set'}]);
	if (!isObject(back) || integer(back['position']) !== 0) {
		throw new ChunkError('guest-file-seek did not go back to the start of the file');
	}

	return isObject(end) ? integer(end['position']) : undefined;
}
