import {protocolVersion} from '../version.js';
import {MethodRegistry, noParams} from '../engine/registry.js';

export type HostRpcHandlers = {
	/** The guest said va.hello: it is up (again); the session renegotiates. */
	readonly onHello: (at: number) => void;
};

/** What the host serves to the guest (PROTOCOL.md §5): va.ping, va.hello, va.capabilities, system.listMethods. */
export function hostRegistry(handlers: HostRpcHandlers): MethodRegistry {
	const registry = new MethodRegistry();
	registry.register('va.ping', 'Answer "dummy": the host is there.', () => 'dummy');
	registry.register('va.hello', 'The guest agent is up; the host then negotiates its methods.', params => {
		noParams(params);
		handlers.onHello(Date.now());
		return 'dummy';
	});
	registry.register('va.capabilities', 'The protocol version and the methods the host serves.', params => {
		noParams(params);
		return Object.assign(Object.create(null) as Record<string, never>, {version: protocolVersion, methods: registry.listMethods()});
	});
	return registry;
}
