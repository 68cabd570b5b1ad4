/**
 * `agent_getfile`'s copier (docs/PROTOCOL.md §8): reads a guest file chunk by chunk from any
 * ChunkSource, several reads in flight when the guest allows it, and writes them in order to a
 * temporary file beside the target, renamed into place only when complete. A partial copy is
 * never left under the final name; without `force` an existing file is never replaced (even
 * one that appears during the copy). Memory holds at most `depth` chunks, never the file.
 */
import {createHash, randomBytes} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {Chunk, ChunkSource} from './chunk-source.js';

export type CopyProgress = {
	readonly bytes: number;
	/** The guest's size when it said (virtagent), else undefined. */
	readonly total: number | undefined;
	/** Bytes per second since the start. */
	readonly rate: number;
	/** Seconds left at that rate, when the total is known. */
	readonly etaSeconds: number | undefined;
};

export type CopyResult = {
	readonly path: string;
	readonly bytes: number;
	readonly sha256: string;
	readonly seconds: number;
	/** The file changed during the copy; undefined when the guest cannot tell (qemu-ga). */
	readonly changed: boolean | undefined;
};

export type CopyOptions = {
	readonly source: ChunkSource;
	/** The local file to create. */
	readonly target: string;
	/** Replace an existing file (`-f`). */
	readonly force: boolean;
	readonly chunkSize: number;
	readonly onProgress?: (progress: CopyProgress) => void;
	/** Progress events at most this often (ms), plus one at the end. */
	readonly progressEveryMs?: number;
};

export class CopyError extends Error {
	override readonly name = 'VirtagentFailed';
	constructor(
		readonly code: 'EEXIST' | 'EISDIR' | 'EIO',
		message: string,
	) {
		super(message);
	}
}

export async function copyGuestFile(options: CopyOptions): Promise<CopyResult> {
	const {source, target, force} = options;
	const started = performance.now();
	try {
		refuseExisting(target, force);
		const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.part`);
		const file = await openTemporary(temporary);
		try {
			const copied = await copyChunks(options, file, started);
			await file.close();
			await moveIntoPlace(temporary, target, force);
			return {path: target, seconds: (performance.now() - started) / 1000, ...copied};
		} catch (error) {
			await file.close().catch(() => undefined);
			fs.rmSync(temporary, {force: true});
			throw error;
		}
	} finally {
		await source.close();
	}
}

function refuseExisting(target: string, force: boolean): void {
	let stat: fs.Stats;
	try {
		stat = fs.statSync(target);
	} catch {
		return;
	}

	if (stat.isDirectory()) {
		throw new CopyError('EISDIR', `${target} is a directory`);
	}

	if (!force) {
		throw new CopyError('EEXIST', `${target} exists (use -f to overwrite it)`);
	}
}

async function openTemporary(temporary: string): Promise<fs.promises.FileHandle> {
	try {
		return await fs.promises.open(temporary, 'wx', 0o600);
	} catch (error) {
		throw new CopyError('EIO', `cannot create ${temporary}: ${(error as Error).message}`);
	}
}

/** Without force, link() refuses to replace a file that appeared meanwhile; rename() replaces. */
async function moveIntoPlace(temporary: string, target: string, force: boolean): Promise<void> {
	try {
		if (force) {
			await fs.promises.rename(temporary, target);
		} else {
			await fs.promises.link(temporary, target);
			await fs.promises.rm(temporary, {force: true});
		}
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new CopyError(
			code === 'EEXIST' ? 'EEXIST' : 'EIO',
			code === 'EEXIST' ? `${target} appeared during the copy; not replaced (use -f)` : `cannot move the copy into place: ${(error as Error).message}`,
		);
	}
}

type Copied = Pick<CopyResult, 'bytes' | 'sha256' | 'changed'>;

async function copyChunks(options: CopyOptions, file: fs.promises.FileHandle, started: number): Promise<Copied> {
	const {source, chunkSize} = options;
	const hash = createHash('sha256');
	const reporter = progressReporter(options, started);
	// Reads in flight, in file order: the head is always the next chunk to write.
	const window: Array<Promise<Chunk>> = [];
	let nextOffset = 0;
	let bytes = 0;
	let first: Chunk | undefined;
	let last: Chunk | undefined;
	let eof = false;
	try {
		while (!eof) {
			while (window.length < Math.max(1, source.depth)) {
				const read = source.read(nextOffset, chunkSize);
				// Awaited in turn below; until then its failure must not count as unhandled.
				read.catch(() => undefined);
				window.push(read);
				nextOffset += chunkSize;
			}

			const chunk = await window.shift()!;
			first ??= chunk;
			last = chunk;
			if (chunk.data.length > 0) {
				await file.write(chunk.data);
				hash.update(chunk.data);
				bytes += chunk.data.length;
			}

			eof = chunk.eof || chunk.data.length === 0;
			reporter.update(bytes, chunk.size, eof);
			if (!eof && !source.sequential && chunk.data.length < chunkSize) {
				// A short read that is not the end: the reads ahead start at the wrong offsets.
				await drain(window);
				nextOffset = bytes;
			}
		}
	} finally {
		await drain(window);
	}

	return {bytes, sha256: hash.digest('hex'), changed: changedDuringCopy(source, first, last, bytes)};
}

/** Wait for the reads still in flight and forget them (their failures too: the copy is over). */
async function drain(window: Array<Promise<Chunk>>): Promise<void> {
	await Promise.allSettled(window.splice(0));
}

function changedDuringCopy(source: ChunkSource, first: Chunk | undefined, last: Chunk | undefined, bytes: number): boolean | undefined {
	if (!source.canCheckChanges || !first || !last) {
		return undefined;
	}

	if (first.size === undefined || last.size === undefined) {
		return undefined; // procfs and the like: no size to compare
	}

	return first.size !== last.size || first.mtime?.getTime() !== last.mtime?.getTime() || bytes !== last.size;
}

function progressReporter(options: CopyOptions, started: number): {update(bytes: number, total: number | undefined, done: boolean): void} {
	const every = options.progressEveryMs ?? 200;
	let lastAt = -Infinity;
	return {
		update(bytes, total, done) {
			const now = performance.now();
			if (!options.onProgress || (!done && now - lastAt < every)) {
				return;
			}

			lastAt = now;
			const seconds = Math.max((now - started) / 1000, 1e-3);
			const rate = bytes / seconds;
			const etaSeconds = total === undefined ? undefined : rate > 0 ? Math.max(0, (total - bytes) / rate) : undefined;
			options.onProgress({bytes, total, rate, etaSeconds});
		},
	};
}
