import {spawn} from 'node:child_process';
import fs from 'node:fs';
import {RpcFault} from '../../engine/errors.js';
import {FaultCode} from '../../protocol/value.js';
import {describeErrno} from './errno.js';

/** PROTOCOL §5: the last 16 KiB of the kernel log. */
export const dmesgTailBytes = 16 * 1024;
const commandTimeoutMs = 4000;

/**
 * The end of `text` in at most `maxBytes` UTF-8 bytes, starting at a line when it was cut
 * (a line longer than everything is cut at a character boundary instead).
 */
export function tailBytes(text: string, maxBytes: number = dmesgTailBytes): string {
	const bytes = Buffer.from(text, 'utf8');
	if (bytes.length <= maxBytes) {
		return text;
	}

	let start = bytes.length - maxBytes;
	const newline = bytes.indexOf(0x0a, start - 1);
	if (newline >= 0 && newline < bytes.length - 1) {
		start = newline + 1;
	} else {
		while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) {
			start++; // not in the middle of a character
		}
	}

	return bytes.subarray(start).toString('utf8');
}

/** `6,1234,5678901,-;message` → `[    5.678901] message` (dmesg's own layout). */
export function formatKmsgRecord(record: string): string | undefined {
	const semicolon = record.indexOf(';');
	if (semicolon < 0) {
		return undefined;
	}

	const fields = record.slice(0, semicolon).split(',');
	const usec = Number(fields[2]);
	if (!Number.isSafeInteger(usec) || usec < 0) {
		return undefined;
	}

	// Continuation lines (` KEY=value`) are metadata that dmesg does not print either.
	const message = record.slice(semicolon + 1).split('\n', 1)[0]!;
	const seconds = String(Math.floor(usec / 1_000_000)).padStart(5, ' ');
	const micro = String(usec % 1_000_000).padStart(6, '0');
	return `[${seconds}.${micro}] ${message}`;
}

/** Lines kept while reading: a bounded window, so a huge log never fills memory. */
export class LineWindow {
	readonly #lines: string[] = [];
	#bytes = 0;

	/** What the window holds now, newlines included (the bound: 16 KiB plus at most one line). */
	get heldBytes(): number {
		return this.#bytes;
	}

	add(line: string): void {
		this.#lines.push(line);
		this.#bytes += Buffer.byteLength(line) + 1;
		while (this.#lines.length > 1 && this.#bytes - Buffer.byteLength(this.#lines[0]!) - 1 >= dmesgTailBytes) {
			this.#bytes -= Buffer.byteLength(this.#lines.shift()!) + 1;
		}
	}

	text(): string {
		return tailBytes(this.#lines.map(line => `${line}\n`).join(''));
	}
}

/** Every record in /dev/kmsg, read without blocking until EAGAIN (the end of the buffer). */
export function readKmsg(kmsgPath: string): string {
	const fd = fs.openSync(kmsgPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
	try {
		const buffer = Buffer.alloc(16 * 1024); // a read returns one record; they are < 8 KiB
		const window = new LineWindow();
		for (;;) {
			let bytes: number;
			try {
				bytes = fs.readSync(fd, buffer, 0, buffer.length, null);
			} catch (error) {
				const code = (error as NodeJS.ErrnoException).code;
				if (code === 'EAGAIN') {
					break;
				}

				if (code === 'EPIPE') {
					continue; // records were overwritten while we read: go on with the next
				}

				throw error;
			}

			if (bytes === 0) {
				break;
			}

			const line = formatKmsgRecord(buffer.toString('utf8', 0, bytes));
			if (line !== undefined) {
				window.add(line);
			}
		}

		return window.text();
	} finally {
		fs.closeSync(fd);
	}
}

/** The end of a command's output, bounded: past 4 × 16 KiB it is cut back to the last 2 × 16 KiB. */
export class OutputTail {
	#out: Buffer = Buffer.alloc(0);

	get heldBytes(): number {
		return this.#out.length;
	}

	push(chunk: Buffer): void {
		this.#out = Buffer.concat([this.#out, chunk]);
		if (this.#out.length > 4 * dmesgTailBytes) {
			this.#out = this.#out.subarray(this.#out.length - 2 * dmesgTailBytes);
		}
	}

	text(): string {
		return tailBytes(this.#out.toString('utf8'));
	}
}

/** A command's stdout (its last 16 KiB), argv not a shell; rejects with a one-line reason. */
export async function runLogCommand(argv: readonly string[]): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(argv[0]!, argv.slice(1), {stdio: ['ignore', 'pipe', 'pipe'], timeout: commandTimeoutMs});
		const out = new OutputTail();
		let errorText = '';
		child.stdout.on('data', (chunk: Buffer) => {
			out.push(chunk);
		});
		child.stderr.on('data', (chunk: Buffer) => {
			errorText = (errorText + chunk.toString('utf8')).slice(-512);
		});
		child.once('error', error => {
			reject(new Error(`${argv[0]}: ${describeErrno(error)}`));
		});
		child.once('close', (code, signal) => {
			if (code === 0) {
				resolve(out.text());
			} else {
				const reason = errorText.trim().split('\n').pop() || (signal ? `killed by ${signal}` : `exit code ${code}`);
				reject(new Error(`${argv[0]}: ${reason}`));
			}
		});
	});
}

export type DmesgSource = {
	/** Run this instead of reading /dev/kmsg and falling back to `dmesg`. */
	readonly command?: readonly string[];
	readonly kmsgPath?: string;
};

/**
 * The kernel log: /dev/kmsg, else the `dmesg` program; a fault -500 naming both reasons when
 * neither is allowed (e.g. a container without access to the kernel log).
 */
export async function readKernelLog(source: DmesgSource = {}): Promise<string> {
	if (source.command) {
		try {
			return await runLogCommand(source.command);
		} catch (error) {
			throw new RpcFault(FaultCode.internal, `cannot read the kernel log: ${(error as Error).message}`);
		}
	}

	const kmsgPath = source.kmsgPath ?? '/dev/kmsg';
	let kmsgReason: string;
	try {
		return readKmsg(kmsgPath);
	} catch (error) {
		kmsgReason = `${kmsgPath}: ${describeErrno(error)}`;
	}

	try {
		return await runLogCommand(['dmesg']);
	} catch (error) {
		throw new RpcFault(FaultCode.internal, `cannot read the kernel log: ${kmsgReason}; ${(error as Error).message}`);
	}
}
