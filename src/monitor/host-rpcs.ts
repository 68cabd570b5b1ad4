import {MethodRegistry} from '../engine/registry.js';
import {rpcs} from '../rpc/catalogue.js';
import {serve} from '../rpc/serve.js';
import {protocolVersion} from '../version.js';

export type HostRpcHandlers = {
	/** The guest said va.hello: it is up (again); the session renegotiates. */
	readonly onHello: (at: number) => void;
};

/** What the host serves to the guest (docs/PROTOCOL.md §5): va.ping, va.hello, va.capabilities, system.listMethods. */
export function hostRegistry(handlers: HostRpcHandlers): MethodRegistry {
	const registry = new MethodRegistry();
	serve(registry, rpcs.ping, () => 'dummy');
	serve(registry, rpcs.hello, () => {
		handlers.onHello(Date.now());
		return 'dummy';
	});
	serve(registry, rpcs.capabilities, () => Object.assign(Object.create(null) as Record<string, never>, {version: protocolVersion, methods: registry.listMethods()}));
	return registry;
}
