import {spawnSync} from 'node:child_process';
import fs from 'node:fs';

/** Like the 2010 agent's isa-serial channel. */
export const defaultBaud = 38_400;

/**
 * Open a character device for reading and writing on ONE descriptor (a virtio-serial port can be
 * opened only once) without making it our controlling terminal, non-blocking (the daemon polls
 * it: src/transport/fd-channel.ts).
 */
export function openCharDevice(devicePath: string): number {
	return fs.openSync(devicePath, fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
}

/**
 * Put an open tty in raw mode at `baud`: no echo, no line editing, no signals, 8 bits through.
 * stty (argv, no shell) works on the descriptor given as its stdin, so the settings apply to
 * the very file we read and write. Throws a one-line error if stty refuses (not a tty, bad baud).
 */
export function makeTtyRaw(fd: number, baud: number = defaultBaud): void {
	const result = spawnSync(
		'stty',
		['raw', '-echo', '-echoe', '-echok', '-echoctl', '-echoke', '-ixon', '-ixoff', 'cs8', '-cstopb', '-parenb', 'clocal', String(baud)],
		{
			stdio: [fd, 'ignore', 'pipe'],
			encoding: 'utf8',
			timeout: 5000,
		},
	);
	if (result.error) {
		throw new Error(`stty failed: ${result.error.message}`);
	}

	if (result.status !== 0) {
		const reason = result.stderr.trim().split('\n')[0] ?? '';
		throw new Error(`stty failed: ${reason || `exit code ${result.status}`}`);
	}
}
