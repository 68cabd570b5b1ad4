// The boot, on ONE clock (the host's): each line of the guest console stamped when it reaches
// the host (ms since QEMU started), beside host-side events (the hello, qemu-ga's first answer).
// The guest's own timestamps cannot be set beside the host's: its clock starts from the emulated
// RTC (whole seconds), and its uptime from a kernel start that the host does not see. A serial
// console line reaches the host as the guest writes it, so the stamps below are good to the poll
// interval (10 ms) plus the console's own delay.
// Module: const timeline = watchConsole(consolePath, t0); timeline.mark(text) (a host event);
// timeline.stop(); timeline.lines -> [{ms, text}]; timeline.first(regex) -> ms | undefined.
import fs from 'node:fs';
import path from 'node:path';

export function watchConsole(consolePath, t0, intervalMs = 10) {
	const lines = [];
	let offset = 0;
	let partial = '';
	const buffer = Buffer.alloc(64 * 1024);
	const read = () => {
		let fd;
		try {
			fd = fs.openSync(consolePath, 'r');
		} catch {
			return; // not there yet
		}

		try {
			for (;;) {
				const bytes = fs.readSync(fd, buffer, 0, buffer.length, offset);
				if (bytes === 0) break;
				offset += bytes;
				partial += buffer.toString('utf8', 0, bytes);
			}
		} finally {
			fs.closeSync(fd);
		}

		const ms = Date.now() - t0;
		const parts = partial.split('\n');
		partial = parts.pop();
		for (const text of parts) lines.push({ms, text: text.replaceAll('\r', '')});
	};

	const timer = setInterval(read, intervalMs);
	timer.unref();
	return {
		lines,
		mark(text, at = Date.now()) {
			lines.push({ms: at - t0, text: `(host) ${text}`});
		},
		first(pattern) {
			return lines.find(line => pattern.test(line.text))?.ms;
		},
		stop() {
			clearInterval(timer);
			read();
			lines.sort((a, b) => a.ms - b.ms);
		},
	};
}

/** The moments that make up boot-to-hello (ms since QEMU started, host clock), by console line. */
const moments = {
	guestCommandStarted: /^VA-E2E cmd-start /,
	bothLaunched: /^VA-E2E launch qemu-ga and daemon /,
	qgaLaunched: /^VA-E2E qga-start /,
	daemonFirstLogLine: / info: virtagent guest on /,
	daemonChannelUp: / info: channel up: /,
	daemonPortSeenOpen: /^VA-E2E ready .*name=daemon/,
	daemonFirstFramingError: / (framing error|skipped \d+ bytes of garbage)/,
	daemonHelloAnswered: / info: va\.hello: the host answered/,
	monitorGotHello: /^\(host\) the monitor got the hello/,
	qgaAnswered: /^\(host\) qemu-ga answered/,
};

/**
 * Stops the watch, writes every stamped line to boot-timeline.txt beside $VA_E2E_RESULT (when
 * set), and returns the moments above.
 */
export function saveTimeline(timeline) {
	timeline.stop();
	const result = process.env.VA_E2E_RESULT;
	if (result) {
		const text = timeline.lines.map(({ms, text}) => `${String(ms).padStart(7)} ${text}`).join('\n');
		fs.writeFileSync(path.join(path.dirname(result), 'boot-timeline.txt'), `${text}\n`);
	}

	return Object.fromEntries(Object.entries(moments).map(([name, pattern]) => [name, timeline.first(pattern) ?? null]));
}
