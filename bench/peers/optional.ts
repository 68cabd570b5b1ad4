import type {Scratch} from '../lib/context.js';
import {guestDaemonAvailable, startGuestDaemon, type GuestDaemon} from './guest-daemon.js';
import {findQemuGa, startQemuGa, type QemuGa} from './qemu-ga.js';

/**
 * The two peers a case may not have: the built guest daemon and Debian's qemu-ga. Each missing
 * one is a note in the case's output, never a failure; each started one is stopped by `defer`.
 */
export async function startOptionalPeers(
	work: Scratch,
	defer: (cleanup: () => unknown) => void,
	notes: string[],
): Promise<{daemon?: GuestDaemon; qemuGa?: QemuGa}> {
	let daemon: GuestDaemon | undefined;
	if (guestDaemonAvailable()) {
		daemon = await startGuestDaemon(work.file('guest.sock'));
		defer(daemon.stop);
	} else {
		notes.push('the guest daemon is not built (dist/src/guest/cli.js): its figures are skipped');
	}

	let qemuGa: QemuGa | undefined;
	const binary = findQemuGa();
	if (binary) {
		qemuGa = await startQemuGa(binary, work.dir);
		defer(qemuGa.stop);
		notes.push(`qemu-ga ${qemuGa.version}, block list leaves guest-sync/ping/info/file-open/read/close`);
	} else {
		notes.push('qemu-ga is not installed (apt-get install qemu-guest-agent): its figures are skipped');
	}

	return {...(daemon ? {daemon} : {}), ...(qemuGa ? {qemuGa} : {})};
}
