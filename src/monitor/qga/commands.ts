/**
 * The monitor's commands on a qemu-ga guest (docs/PROTOCOL.md §9): what each `agent_*` command
 * asks qemu-ga, given only a way to call it. agent_ping → guest-ping, agent_capabilities →
 * guest-info (the ENABLED commands are the gate), agent_viewfile → guest-file-open/read/close,
 * agent_viewdmesg → guest-exec of dmesg, agent_shutdown → guest-shutdown (no reply).
 */
import {VirtagentError} from '../../engine/errors.js';
import type {NoReplyResult} from '../../wire/types.js';
import {qgaSource, type GuestCall} from '../getfile/chunk-source.js';

export type QgaInfo = {
	readonly version: string | undefined;
	/** The commands qemu-ga will run (blocked ones are listed by guest-info as disabled). */
	readonly enabled: readonly string[];
	readonly disabled: readonly string[];
};

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function protocolError(what: string): VirtagentError {
	return new VirtagentError('EPROTO', `qemu-ga returned ${what}`);
}

/** guest-info: its version and which commands are enabled. */
export async function qgaInfo(call: GuestCall): Promise<QgaInfo> {
	const info = await call('guest-info', []);
	const commands = isObject(info) ? info['supported_commands'] : undefined;
	if (!isObject(info) || !Array.isArray(commands)) {
		throw protocolError('a guest-info without supported_commands');
	}

	const enabled: string[] = [];
	const disabled: string[] = [];
	for (const command of commands.slice(0, 1000)) {
		if (isObject(command) && typeof command['name'] === 'string') {
			(command['enabled'] === true ? enabled : disabled).push(command['name']);
		}
	}

	return {version: typeof info['version'] === 'string' ? info['version'] : undefined, enabled: enabled.sort(), disabled: disabled.sort()};
}

/** A command the agent has disabled (or lacks), named, before anything is sent. */
export function requireEnabled(info: QgaInfo, command: string, forWhat: string): void {
	if (!info.enabled.includes(command)) {
		const why = info.disabled.includes(command) ? 'is disabled in this qemu-ga' : 'is not supported by this qemu-ga';
		throw new VirtagentError('ENOSYS', `${forWhat} needs ${command}, which ${why}`);
	}
}

/** The whole file through guest-file-open/read/close, at most `limit` bytes; always closes. */
export async function qgaReadFile(call: GuestCall, guestPath: string, limit: number, leftover: (handle: number) => void): Promise<Buffer> {
	const source = await qgaSource(call, guestPath, 1, leftover);
	try {
		const parts: Buffer[] = [];
		let length = 0;
		for (;;) {
			const chunk = await source.read(length, Math.min(1024 * 1024, limit + 1 - length));
			parts.push(chunk.data);
			length += chunk.data.length;
			if (length > limit) {
				throw new VirtagentError('EINVAL', `file too large: more than ${limit} bytes (use agent_getfile)`);
			}

			if (chunk.eof || chunk.data.length === 0) {
				return Buffer.concat(parts, length);
			}
		}
	} finally {
		await source.close();
	}
}

/** How long guest-exec-status is polled between tries (ms), and for how long at most. */
const execPollMs = 50;

/**
 * guest-exec of `dmesg` with its output captured, then guest-exec-status until it has exited
 * (bounded by `timeoutMs`). A non-zero exit is an error with dmesg's own message.
 */
export async function qgaDmesg(call: GuestCall, timeoutMs: number): Promise<Buffer> {
	const started = await call('guest-exec', [{path: 'dmesg', 'capture-output': true}]);
	const pid = isObject(started) ? started['pid'] : undefined;
	if (typeof pid !== 'number' || !Number.isSafeInteger(pid)) {
		throw protocolError('a guest-exec without a pid');
	}

	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const status = await call('guest-exec-status', [{pid}]);
		if (!isObject(status)) {
			throw protocolError('a guest-exec-status that is not an object');
		}

		if (status['exited'] === true) {
			const out = typeof status['out-data'] === 'string' ? Buffer.from(status['out-data'], 'base64') : Buffer.alloc(0);
			if (status['exitcode'] !== 0) {
				const err = typeof status['err-data'] === 'string' ? Buffer.from(status['err-data'], 'base64').toString('utf8').trim().split('\n').pop() : '';
				throw new VirtagentError('EINVAL', `dmesg in the guest exited with ${String(status['exitcode'] ?? status['signal'])}${err ? `: ${err}` : ''}`);
			}

			return out;
		}

		if (Date.now() > deadline) {
			throw new VirtagentError('ETIMEDOUT', `dmesg in the guest (pid ${pid}) has not exited after ${timeoutMs / 1000}s`);
		}

		await new Promise(resolve => setTimeout(resolve, execPollMs));
	}
}

export const shutdownModes = {halt: 'halt', powerdown: 'powerdown', reboot: 'reboot'} as const;

/** guest-shutdown: success sends no reply; says whether the channel closed or stayed silent. */
export async function qgaShutdown(call: GuestCall, mode: keyof typeof shutdownModes): Promise<NoReplyResult['noReply'] | 'replied'> {
	const result = await call('guest-shutdown', [{mode: shutdownModes[mode]}]);
	return isObject(result) && (result['noReply'] === 'channel-closed' || result['noReply'] === 'silence') ? result['noReply'] : 'replied';
}
