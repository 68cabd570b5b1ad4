import {MethodRegistry} from '../engine/registry.js';
import {rpcs} from '../rpc/catalogue.js';
import {serve} from '../rpc/serve.js';
import {protocolVersion} from '../version.js';

/**
 * What the host serves to the guest (docs/PROTOCOL.md §5): va.ping, va.hello, va.capabilities,
 * system.listMethods. The session learns of a hello from the engine's job events, as it learns
 * of everything else, so this registry needs nothing from it.
 */
export function hostRegistry(): MethodRegistry {
	const registry = new MethodRegistry();
	serve(registry, rpcs.ping, () => 'dummy');
	serve(registry, rpcs.hello, () => 'dummy');
	serve(registry, rpcs.capabilities, () =>
		Object.assign(Object.create(null) as Record<string, never>, {version: protocolVersion, methods: registry.listMethods()}),
	);
	return registry;
}
