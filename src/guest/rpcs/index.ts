import {noParams, stringParam, type MethodRegistry} from '../../engine/registry.js';
import {protocolVersion} from '../../version.js';
import {readKernelLog, type DmesgSource} from './getdmesg.js';
import {readFileForHost} from './getfile.js';
import {integerParam, readFileChunk, readfileCountMax} from './readfile.js';
import {parseShutdownMode, type ShutdownScheduler} from './shutdown.js';

/** Every RPC the guest serves (PROTOCOL §5), the names --allow-rpcs/--block-rpcs accept. */
export const guestMethodNames = ['system.listMethods', 'va.capabilities', 'va.getdmesg', 'va.getfile', 'va.ping', 'va.readfile', 'va.shutdown'] as const;

export type GuestRpcOptions = {
	/** Largest file va.getfile sends (see getfileLimit). */
	readonly getfileLimit: number;
	readonly dmesg: DmesgSource;
	readonly shutdown: ShutdownScheduler;
};

/** Register the guest's RPCs (system.listMethods comes with the registry). */
export function registerGuestRpcs(registry: MethodRegistry, options: GuestRpcOptions): void {
	registry.register('va.ping', 'Answer "dummy": the guest agent is alive.', () => 'dummy');
	registry.register('va.capabilities', 'The protocol version and the methods this guest serves.', params => {
		noParams(params);
		return {version: protocolVersion, methods: registry.listMethods()};
	});
	registry.register('va.getfile', 'The contents of a file in the guest (base64).', async params => readFileForHost(stringParam(params, 0, 'path'), options.getfileLimit));
	registry.register('va.readfile', 'Up to count bytes of a guest file from offset, with its size and mtime (files of any size).', async params =>
		readFileChunk(stringParam(params, 0, 'path'), integerParam(params, 1, 'offset'), integerParam(params, 2, 'count', readfileCountMax)),
	);
	registry.register('va.getdmesg', 'The last 16 KiB of the guest kernel log.', async params => {
		noParams(params);
		return readKernelLog(options.dmesg);
	});
	registry.register('va.shutdown', 'Halt, power down or reboot the guest (after the reply, and a delay).', (params, context) => {
		const mode = parseShutdownMode(stringParam(params, 0, 'mode'));
		options.shutdown.request(mode, context);
		return 'dummy';
	});
}
