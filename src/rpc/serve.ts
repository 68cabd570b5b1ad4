import type {CallContext, MethodRegistry} from '../engine/registry.js';
import type {XmlRpcValue} from '../protocol/value.js';
import type {Peer, Rpc} from './catalogue.js';

/** A server's handler for one catalogue entry: its parameters arrive checked and typed. */
export type Served<P extends readonly unknown[]> = (params: P, context: CallContext) => XmlRpcValue | Promise<XmlRpcValue>;

/** Register `handler` for `rpc`: a request whose parameters fail the entry's checks gets fault -501. */
export function serve<P extends readonly unknown[]>(registry: MethodRegistry, rpc: Rpc<P, unknown, readonly Peer[]>, handler: Served<P>): void {
	registry.register(rpc.name, rpc.help, (params, context) => handler(rpc.readParams(params), context));
}
