import type net from 'node:net';

/**
 * Write to a socket (or a polled device) and say `flushed` when the kernel took every byte at
 * once, the usual case: the caller may then go on in the same tick. Otherwise the promise
 * settles with the write's callback. No promise is made on the fast path: this runs for every
 * message, and under emulation each allocation and hop counts many times over.
 */
export function writeEagerly(socket: net.Socket, data: Buffer): Promise<void> | 'flushed' {
	let done: {error: Error | null | undefined} | undefined;
	let settle: ((error: Error | null | undefined) => void) | undefined;
	socket.write(data, error => {
		if (settle) {
			settle(error);
		} else {
			done = {error};
		}
	});
	if (socket.writableLength === 0 && !done?.error) {
		// A later failure of the socket arrives as its 'error'/'close', which the owner reports.
		return 'flushed';
	}

	if (done) {
		return done.error ? Promise.reject(done.error) : Promise.resolve();
	}

	return new Promise<void>((resolve, reject) => {
		settle = error => {
			if (error) {
				reject(error);
			} else {
				resolve();
			}
		};
	});
}
