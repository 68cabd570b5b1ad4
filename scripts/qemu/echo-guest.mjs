#!/usr/bin/env node
// Stand-in guest program for the QEMU e2e harness: a line echo on the virtio-serial port.
// Usage (in the guest): node echo-guest.mjs [--port /dev/virtio-ports/org.qemu.virtagent]
//   Every complete line (ending in \n) is written back unchanged. The line "__va_e2e_quit__"
//   is answered with "bye" and ends the program (the guest then powers off).
// How a virtio-serial port behaves (measured, see docs/guest.md): ONE read-write descriptor (a second open() fails
// with EBUSY); net.Socket refuses the fd, so fs.read/fs.write (libuv thread pool) are used;
// while no host is connected read() returns 0 at once -> wait 100 ms and read again (no busy
// loop); write() blocks until a host connects.
import fs from 'node:fs';

const QUIT = '__va_e2e_quit__';
const IDLE_BACKOFF_MS = 100;

const argv = process.argv.slice(2);
const portArg = argv.indexOf('--port');
const port = portArg >= 0 ? argv[portArg + 1] : process.env.VA_PORT || '/dev/virtio-ports/org.qemu.virtagent';

const log = message => process.stderr.write(`echo-guest: ${message}\n`);
const fd = fs.openSync(port, 'r+');
log(`pid ${process.pid} opened ${port}`);

const chunk = Buffer.allocUnsafe(256 * 1024);
let pending = Buffer.alloc(0);
let hostPresent = false;

function writeAll(buffer, done) {
	let offset = 0;
	const step = () => {
		if (offset >= buffer.length) return done();
		fs.write(fd, buffer, offset, buffer.length - offset, null, (error, written) => {
			if (error) {
				if (error.code === 'EAGAIN' || error.code === 'EINTR') return setTimeout(step, 10);
				return fail(error);
			}
			offset += written;
			step();
		});
	};
	step();
}

function fail(error) {
	log(`error: ${error.message}`);
	process.exit(1);
}

function readLoop() {
	fs.read(fd, chunk, 0, chunk.length, null, (error, n) => {
		if (error) {
			if (error.code === 'EAGAIN' || error.code === 'EINTR') return setTimeout(readLoop, IDLE_BACKOFF_MS);
			return fail(error);
		}
		if (n === 0) {
			// No host on the other end (not end of stream): wait, then try again.
			if (hostPresent) log('host disconnected; waiting');
			hostPresent = false;
			return setTimeout(readLoop, IDLE_BACKOFF_MS);
		}
		if (!hostPresent) log('host connected');
		hostPresent = true;
		pending = pending.length === 0 ? Buffer.from(chunk.subarray(0, n)) : Buffer.concat([pending, chunk.subarray(0, n)]);
		const last = pending.lastIndexOf(0x0a);
		if (last < 0) return readLoop();
		const lines = pending.subarray(0, last + 1);
		pending = Buffer.from(pending.subarray(last + 1));
		const quitAt = lines.indexOf(`${QUIT}\n`);
		if (quitAt >= 0 && (quitAt === 0 || lines[quitAt - 1] === 0x0a)) {
			const before = lines.subarray(0, quitAt);
			return writeAll(Buffer.concat([before, Buffer.from('bye\n')]), () => {
				log('quit requested');
				fs.closeSync(fd);
				process.exit(0);
			});
		}
		writeAll(lines, readLoop);
	});
}

readLoop();
