import type {MethodRegistry} from '../../engine/registry.js';
import {rpcs, servedBy, type ParamsOf, type ServedBy} from '../../rpc/catalogue.js';
import {serve, type Served} from '../../rpc/serve.js';
import {protocolVersion} from '../../version.js';
import {readKernelLog, type DmesgSource} from './getdmesg.js';
import {readFileForHost} from './getfile.js';
import {checkRange, readFileChunk, readfileCountMax} from './readfile.js';
import {parseShutdownMode, type ShutdownScheduler} from './shutdown.js';

/** Every RPC the guest serves (docs/PROTOCOL.md §5), the names --allow-rpcs/--block-rpcs accept. */
export const guestMethodNames = servedBy('guest');

export type GuestRpcOptions = {
	/** Largest file va.getfile sends (see getfileLimit). */
	readonly getfileLimit: number;
	readonly dmesg: DmesgSource;
	readonly shutdown: ShutdownScheduler;
	/** Advertised in va.capabilities (docs/PROTOCOL.md §4): requests this end holds at once, and its body limit. */
	readonly limits?: {readonly serverQueue: number; readonly body: number};
};

/** One handler per catalogue entry the guest serves (system.listMethods comes with the registry). */
type GuestHandlers = {readonly [K in Exclude<ServedBy<'guest'>, 'listMethods'>]: Served<ParamsOf<(typeof rpcs)[K]>>};

/** Register the guest's RPCs from the catalogue. */
export function registerGuestRpcs(registry: MethodRegistry, options: GuestRpcOptions): void {
	const handlers: GuestHandlers = {
		ping: () => 'dummy',
		capabilities: () => ({version: protocolVersion, methods: registry.listMethods(), ...(options.limits ? {limits: options.limits} : {})}),
		getfile: async ([path]) => readFileForHost(path, options.getfileLimit),
		readfile: async ([path, offset, count]) => readFileChunk(path, checkRange(offset, 2, 'offset'), checkRange(count, 3, 'count', readfileCountMax)),
		getdmesg: async () => readKernelLog(options.dmesg),
		shutdown([mode], context) {
			options.shutdown.request(parseShutdownMode(mode), context);
			return 'dummy';
		},
	};
	// Each key pairs an entry with its handler; TypeScript cannot follow that pairing through a loop.
	for (const key of Object.keys(handlers) as Array<keyof GuestHandlers>) {
		serve(registry, rpcs[key] as never, handlers[key] as never);
	}
}
