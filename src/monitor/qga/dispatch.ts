/**
 * The agent_* commands on either protocol: each command says what it does on a virtagent guest
 * and on qemu-ga, and this picks one for the current guest (docs/PROTOCOL.md §9).
 */
import type {CommandContext} from '../command.js';
import type {GuestCall} from '../getfile/chunk-source.js';
import type {WireValue} from '../../wire/types.js';
import type {GuestProtocol} from './protocol-switch.js';

/** Each variant gets the command's context: a command whose variants need nothing else can define them once, not per call. */
export type PerProtocol<T> = {readonly [P in GuestProtocol]: (context: CommandContext) => Promise<T>};

/** Run the variant for the guest's protocol; when it is known, synchronously (its call keeps its place in line). */
export function byProtocol<T>(context: CommandContext, variants: PerProtocol<T>): Promise<T> {
	// Not async (one promise less on every agent_* command); the gate's throw is still a rejection.
	try {
		const protocol = context.protocol();
		return typeof protocol === 'string' ? variants[protocol](context) : protocol.then(async known => variants[known](context));
	} catch (error) {
		return Promise.reject(error as Error);
	}
}

/** qemu-ga commands through the session's gate (guest-info's enabled commands), with the command's deadline. */
export function qgaCall(context: CommandContext, options: {readonly gated?: boolean} = {}): GuestCall {
	return async (method, params) => context.callMethod(method, params as readonly WireValue[], options);
}
