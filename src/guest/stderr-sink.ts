import fs from 'node:fs';

/**
 * The log's text written to descriptor 2 with write(2) itself. `process.stderr` is a stream that
 * Node builds at its first use: a tty.WriteStream on a console, a net.Socket on the journal's
 * socket or a pipe, with the tty and stream machinery behind it; under software emulation that
 * construction was a measurable part of the start-up before the hello (docs/guest.md). A
 * descriptor that cannot take the text this way (non-blocking and full: EAGAIN, or any error)
 * makes this text's rest and all later text go through `process.stderr`, as before.
 */
export function stderrSink(): (text: string) => void {
	let viaStream = false;
	return text => {
		if (viaStream) {
			process.stderr.write(text);
			return;
		}

		const bytes = Buffer.from(text);
		let written = 0;
		try {
			while (written < bytes.length) {
				written += fs.writeSync(2, bytes, written);
			}
		} catch {
			viaStream = true;
			process.stderr.write(bytes.subarray(written));
		}
	};
}
