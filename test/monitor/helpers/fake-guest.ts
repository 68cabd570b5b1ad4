/**
 * A guest built from the project's own Agent, for monitor tests: it serves what a real guest
 * serves, and can be made hostile (escape sequences in its answers, a method that never
 * answers, a stream dropped in the middle of a response).
 */
import net from 'node:net';
import {rmSync} from 'node:fs';
import {Agent} from '../../../src/engine/agent.js';
import {RpcFault} from '../../../src/engine/errors.js';
import {MethodRegistry, stringParam} from '../../../src/engine/registry.js';
import {encodeResponse} from '../../../src/protocol/codec.js';
import {encodeFrame} from '../../../src/protocol/frame-encoder.js';
import {FaultCode} from '../../../src/protocol/value.js';
import {socketChannel} from '../../../src/transport/socket-channel.js';

export type FakeGuestOptions = {
	/** UNIX socket: listened on (the monitor connects) unless `dial` is set. */
	readonly socketPath: string;
	/** Connect to the monitor instead (its --listen mode). */
	readonly dial?: boolean;
	/** Listen on TCP 127.0.0.1 (a free port, see `tcpPort`) instead of `socketPath`. */
	readonly tcp?: boolean;
	/** Say va.hello on every connection (default true). */
	readonly hello?: boolean;
	readonly dmesg?: string;
	readonly files?: Readonly<Record<string, Buffer>>;
	/** Methods that never answer. */
	readonly hang?: readonly string[];
	/** Methods whose response is cut in half, then the stream is dropped. */
	readonly drop?: readonly string[];
	/** Extra methods or replacements (e.g. a slow one). */
	readonly setup?: (registry: MethodRegistry) => void;
	readonly disable?: readonly string[];
};

export type FakeGuest = {
	readonly registry: MethodRegistry;
	/** Connections accepted (or made) so far. */
	readonly connections: number;
	/** Every va.shutdown mode received. */
	readonly shutdowns: readonly string[];
	/** The TCP port listened on (with `tcp`). */
	readonly tcpPort: number | undefined;
	/** The current agent (one per connection). */
	readonly agent: Agent | undefined;
	close(): Promise<void>;
};

export async function startFakeGuest(options: FakeGuestOptions): Promise<FakeGuest> {
	const shutdowns: string[] = [];
	let connections = 0;
	let agent: Agent | undefined;
	let socket: net.Socket | undefined;
	const never = new Promise<never>(() => undefined);

	const registry = new MethodRegistry();
	registry.register('va.ping', 'ping', () => 'dummy');
	registry.register('va.getdmesg', 'dmesg', () => options.dmesg ?? '[    0.000000] Linux version 6.1.0 (fake)\n');
	registry.register('va.getfile', 'file', params => {
		const path = stringParam(params, 0, 'path');
		const content = options.files?.[path];
		if (!content) {
			throw new RpcFault(FaultCode.internal, `open failed: ${path}: No such file or directory`);
		}

		return content;
	});
	registry.register('va.shutdown', 'shutdown', params => {
		const mode = stringParam(params, 0, 'mode');
		if (!['halt', 'powerdown', 'reboot'].includes(mode)) {
			throw new RpcFault(FaultCode.typeError, `invalid shutdown type: ${mode}`);
		}

		shutdowns.push(mode);
		return 'dummy';
	});
	registry.register('va.capabilities', 'capabilities', () => Object.assign(Object.create(null) as object, {version: '1.0', methods: registry.listMethods()}));
	options.setup?.(registry);
	for (const name of options.hang ?? []) {
		registry.register(name, 'never answers', async () => never);
	}

	for (const name of options.drop ?? []) {
		registry.register(name, 'drops the stream mid-response', async (_params, context) => {
			const frame = encodeFrame('response', context.tag, encodeResponse('x'.repeat(200)));
			socket?.write(frame.subarray(0, Math.floor(frame.length / 2)), () => socket?.destroy());
			return never;
		});
	}

	for (const name of options.disable ?? []) {
		registry.disable(name);
	}

	const serve = (connection: net.Socket) => {
		connections++;
		socket = connection;
		agent?.close();
		agent = new Agent({name: 'fake-guest', registry, handlerTimeoutMs: 60_000});
		agent.attach(socketChannel(connection, 'fake-guest'));
		if (options.hello ?? true) {
			agent.call('va.hello').catch(() => undefined);
		}
	};

	let server: net.Server | undefined;
	if (options.dial) {
		const connection = net.connect(options.socketPath);
		await new Promise<void>((resolve, reject) => {
			connection.once('connect', resolve);
			connection.once('error', reject);
		});
		serve(connection);
	} else if (options.tcp) {
		server = net.createServer(serve);
		await new Promise<void>(resolve => server!.listen({host: '127.0.0.1', port: 0}, resolve));
	} else {
		rmSync(options.socketPath, {force: true});
		server = net.createServer(serve);
		await new Promise<void>(resolve => server!.listen(options.socketPath, resolve));
	}

	const address = server?.address();

	return {
		registry,
		get connections() {
			return connections;
		},
		get shutdowns() {
			return shutdowns;
		},
		get agent() {
			return agent;
		},
		tcpPort: typeof address === 'object' && address ? address.port : undefined,
		async close() {
			agent?.close();
			socket?.destroy();
			if (server) {
				await new Promise<void>(resolve => server!.close(() => resolve()));
			}
		},
	};
}
