/**
 * What each agent_* command does and prints on a qemu-ga guest (docs/PROTOCOL.md §9); the
 * commands in commands/ pick these through byProtocol (dispatch.ts). Same `return` shapes as on
 * a virtagent guest (docs/JSON.md), plus fields only qemu-ga has.
 */
import {VirtagentError} from '../../engine/errors.js';
import type {CommandContext, CommandResult} from '../command.js';
import {escapeLine, utf8OrUndefined} from '../escape.js';
import {age} from '../format.js';
import {qgaSource} from '../getfile/chunk-source.js';
import {showDmesg, showFile} from '../show-file.js';
import {qgaDmesg, qgaInfo, qgaReadFile, qgaShutdown, requireEnabled, type shutdownModes} from './commands.js';
import {qgaCall} from './dispatch.js';

/** agent_viewfile's bound on qemu-ga (about what va.getfile sends in one reply); agent_getfile has none. */
export const qgaViewLimit = 2 * 1024 * 1024;
/** The kernel log's tail shown, as on a virtagent guest (va.getdmesg). */
const dmesgTailBytes = 16 * 1024;

export async function qgaCapabilities(context: CommandContext): Promise<CommandResult> {
	const info = await qgaInfo(qgaCall(context, {gated: false}));
	context.storeMethods(info.enabled, info.disabled);
	const version = info.version === undefined ? 'qemu-ga' : `qemu-ga ${escapeLine(info.version)}`;
	const lines = [`${version}: the following commands are enabled:`, ...info.enabled.map(name => escapeLine(name))];
	if (info.disabled.length > 0) {
		lines.push(`disabled by its configuration (${info.disabled.length}): ${info.disabled.map(name => escapeLine(name)).join(', ')}`);
	}

	return {value: {methods: info.enabled, version: info.version ?? null, disabled: info.disabled}, text: lines.join('\n')};
}

/** guest-file-open/read…/close; the handle is always closed (or left to the session to close later). */
export async function qgaViewfile(context: CommandContext, path: string, saveHint: string): Promise<CommandResult> {
	const bytes = await qgaReadFile(qgaCall(context), path, qgaViewLimit, handle => {
		context.leftoverHandle(handle);
	});
	const text = utf8OrUndefined(bytes);
	const value = {path, size: bytes.length, base64: bytes.toString('base64'), ...(text === undefined ? {} : {text})};
	return {value, text: showFile(bytes, saveHint)};
}

/** guest-exec of dmesg with its output captured; a qemu-ga that disables guest-exec gets a clear refusal. */
export async function qgaViewdmesg(context: CommandContext, timeoutMs: number): Promise<CommandResult> {
	const {methods, disabled, version} = context.status.guest;
	if (methods !== undefined) {
		for (const command of ['guest-exec', 'guest-exec-status']) {
			requireEnabled({version, enabled: methods, disabled: disabled ?? []}, command, 'agent_viewdmesg');
		}
	}

	const log = await qgaDmesg(qgaCall(context), timeoutMs);
	const tail = log.subarray(Math.max(0, log.length - dmesgTailBytes)).toString('utf8');
	return {value: {size: Buffer.byteLength(tail), text: tail}, text: tail === '' ? '(the kernel log is empty)' : showDmesg(tail)};
}

/** guest-shutdown sends no reply when it works: the channel closing or silence is the yes, and which one is said. */
export async function qgaShutdownCommand(context: CommandContext, mode: keyof typeof shutdownModes, timeoutMs: number): Promise<CommandResult> {
	const seen = await qgaShutdown(qgaCall(context), mode);
	const how =
		seen === 'channel-closed'
			? 'qemu-ga sent no reply and the channel closed'
			: seen === 'silence'
				? `qemu-ga sent no reply within ${age(timeoutMs)} (on success it sends none)`
				: 'qemu-ga answered it';
	return {value: {mode, noReply: seen === 'replied' ? null : seen}, text: `the guest agent accepted ${mode}: ${how}`};
}

/** agent_getfile's source on qemu-ga: guest-file-read on one handle, `depth` reads queued on the channel. */
export async function qgaGetfileSource(context: CommandContext, guestPath: string, depth: number): ReturnType<typeof qgaSource> {
	const canSeek = context.status.guest.methods?.includes('guest-file-seek') ?? false;
	return qgaSource(
		qgaCall(context),
		guestPath,
		depth,
		handle => {
			context.leftoverHandle(handle);
		},
		{canSeek},
	);
}

/** The error for a qemu-ga-only command on a virtagent guest. */
export function notQemuGa(command: string): VirtagentError {
	return new VirtagentError('ENOSYS', `${command} talks to qemu-ga, and this guest speaks virtagent (use the agent_* commands)`);
}
