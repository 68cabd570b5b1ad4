/**
 * The port pump: a tiny child process that does the blocking reads and writes on a
 * virtio-serial port or a tty (fd 3 = read side, fd 4 = write side; the same descriptor for a
 * port) and relays them to the daemon over its stdin/stdout (records of pump-records.ts).
 *
 * Why a child: Node cannot poll a character device (net.Socket refuses the fd), so reads and
 * writes block libuv pool threads, and a process with a pool thread stuck in read() never
 * finishes exiting (process.exit() joins the pool). The daemon kills this pump instead, and
 * exits cleanly.
 *
 * Port semantics (TOOLING.md): read() returning 0 means "no host on the other end": report it
 * once, back off, and read again; the first data after that means the host is back. While the
 * host is away, frames the daemon still had in flight are dropped whole (a new host must not
 * get half of an old conversation); a write already in the kernel finishes when a host comes.
 */
import fs from 'node:fs';
import {encodePumpRecord, PumpRecordReader, type PumpRecordType} from './pump-records.js';

/**
 * Runs the pump in this process (it never returns: the process ends by SIGKILL). Started by
 * port-pump-main.ts under Node, or by the guest executable re-running itself with --port-pump.
 */
export function runPortPump(): void {
	const readFd = 3;
	const writeFd = 4;
	const backoffMs = Number(process.env['VA_PUMP_BACKOFF_MS'] ?? 100);
	// While the host stays away the poll slows down to this: each empty read() costs a wake-up, and
	// under software emulation 10 of them a second were ~2% of the guest's CPU. A host that comes
	// back is noticed within this long; one that merely restarts (seconds) within ~100-400 ms.
	const backoffMaxMs = Math.max(backoffMs, Number(process.env['VA_PUMP_BACKOFF_MAX_MS'] ?? 1000));
	let awayDelayMs = backoffMs;
	const readBuffer = Buffer.alloc(64 * 1024);

	let away = false;
	let writing = false;
	const writeQueue: Buffer[] = [];

	function send(type: PumpRecordType, payload?: Buffer): void {
		// stdout is a pipe: synchronous on Linux, so the daemon's reading is our back-pressure.
		process.stdout.write(encodePumpRecord(type, payload));
	}

	function die(message: string): never {
		try {
			send('E', Buffer.from(message));
		} finally {
			// SIGKILL ourselves: exit() would wait for the pool thread blocked on the port.
			process.kill(process.pid, 'SIGKILL');
		}

		throw new Error('unreachable');
	}

	function readNext(): void {
		fs.read(readFd, readBuffer, 0, readBuffer.length, null, (error, bytes) => {
			if (error) {
				const code = (error as NodeJS.ErrnoException).code;
				if (code === 'EAGAIN' || code === 'EINTR') {
					setTimeout(readNext, code === 'EAGAIN' ? backoffMs : 0);
					return;
				}

				die(`read failed: ${error.message}`);
			}

			if (bytes === 0) {
				if (!away) {
					away = true;
					writeQueue.length = 0;
					send('G');
				}

				setTimeout(readNext, awayDelayMs);
				awayDelayMs = Math.min(awayDelayMs * 2, backoffMaxMs);
				return;
			}

			away = false;
			awayDelayMs = backoffMs;
			send('D', Buffer.from(readBuffer.subarray(0, bytes)));
			readNext();
		});
	}

	function writeFrame(frame: Buffer, offset = 0): void {
		fs.write(writeFd, frame, offset, frame.length - offset, null, (error, written) => {
			if (error) {
				const code = (error as NodeJS.ErrnoException).code;
				if (code === 'EAGAIN' || code === 'EINTR') {
					setTimeout(() => {
						writeFrame(frame, offset);
					}, code === 'EAGAIN' ? backoffMs : 0);
					return;
				}

				die(`write failed: ${error.message}`);
			}

			if (offset + written < frame.length) {
				writeFrame(frame, offset + written);
				return;
			}

			writing = false;
			writeNext();
		});
	}

	function writeNext(): void {
		if (writing) {
			return;
		}

		const frame = writeQueue.shift();
		if (frame) {
			writing = true;
			writeFrame(frame);
		}
	}

	const reader = new PumpRecordReader();
	process.stdin.on('data', (chunk: Buffer) => {
		for (const record of reader.push(chunk)) {
			if (record.type === 'W' && !away) {
				writeQueue.push(record.payload);
			}
		}

		writeNext();
	});
	// The daemon is gone: nobody to pump for.
	process.stdin.on('end', () => {
		process.kill(process.pid, 'SIGKILL');
	});
	readNext();
}
