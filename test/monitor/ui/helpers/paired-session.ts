/**
 * The real monitor session for the screen's tests, over a real UNIX socket pair: the project's
 * Session with the host Agent and a connection over one end handed in, a guest Agent on the
 * other end. The command list is injected too: the real commands plus `test_hold`, whose RPC
 * answers only when the test releases it.
 */
import {allCommands} from '../../../../commands/index.js';
import {Agent} from '../../../../src/engine/agent.js';
import {RpcFault} from '../../../../src/engine/errors.js';
import {MethodRegistry} from '../../../../src/engine/registry.js';
import {defineCommand} from '../../../../src/monitor/command.js';
import {heldConnection} from '../../../../src/monitor/connection.js';
import {hostRegistry} from '../../../../src/monitor/host-rpcs.js';
import {Session} from '../../../../src/monitor/session.js';
import {defineRpc, rpcs} from '../../../../src/rpc/catalogue.js';
import {string} from '../../../../src/rpc/checks.js';
import {serve} from '../../../../src/rpc/serve.js';
import {FaultCode} from '../../../../src/protocol/value.js';
import {socketChannel} from '../../../../src/transport/socket-channel.js';
import {gate, type Gate} from '../../../helpers/gate.js';
import {socketPair, waitFor} from '../../../helpers/socket-pair.js';

export type PairedSession = {
	readonly session: Session;
	readonly host: Agent;
	readonly guest: Agent;
	/** Hold every `test.hold` call on the guest until `release()`. */
	hold(): void;
	release(): void;
	/** Command lines whose outcome the session reported, in that order. */
	readonly executed: readonly string[];
	/** Call the host from the guest (a hostile guest's requests). */
	guestCalls(method: string): Promise<unknown>;
	close(): Promise<void>;
};

export type PairedSessionOptions = {
	/** What va.getdmesg answers. */
	readonly dmesg?: string;
};

const testHold = defineRpc({name: 'test.hold', help: 'answers when the test releases it', servedBy: ['guest'], params: [], result: string});

const testHoldCommand = defineCommand({
	name: 'test_hold',
	args: [],
	help: 'wait for the test to release the guest',
	async run(context) {
		await context.call(testHold, []);
		return {value: 'ok', text: 'released'};
	},
});

/** Resolves once the guest has said hello and the session holds its methods. */
export async function pairedSession(options: PairedSessionOptions = {}): Promise<PairedSession> {
	const pair = await socketPair();
	let held: Gate | undefined;

	const guestRegistry = new MethodRegistry();
	serve(guestRegistry, rpcs.ping, () => 'dummy');
	serve(guestRegistry, rpcs.capabilities, () => ({version: '1.0', methods: guestRegistry.listMethods()}));
	serve(guestRegistry, rpcs.getdmesg, () => options.dmesg ?? 'kernel: hello');
	serve(guestRegistry, rpcs.shutdown, ([mode]) => {
		// Never runs anything: the mode is checked as the guest checks it, and that is all.
		if (!['halt', 'powerdown', 'reboot'].includes(mode)) {
			throw new RpcFault(FaultCode.typeError, `invalid shutdown type: ${mode}`);
		}

		return 'dummy';
	});
	serve(guestRegistry, testHold, async () => {
		await held?.promise;
		return 'dummy';
	});
	const guest = new Agent({name: 'guest', registry: guestRegistry, handlerTimeoutMs: 30_000});
	const host = new Agent({name: 'host', registry: hostRegistry()});
	const session = new Session({
		agent: host,
		connection: heldConnection(host, socketChannel(pair.a, `unix:${pair.path}`)),
		commands: [...allCommands, testHoldCommand],
		timeoutMs: 30_000,
	});
	const executed: string[] = [];
	session.subscribe(event => {
		if (event.type === 'outcome') {
			executed.push(event.line);
		}
	});
	await session.start();
	guest.attach(socketChannel(pair.b, 'guest'));
	guest.call(rpcs.hello.name).catch(() => undefined);
	await waitFor(() => session.status.guest.methods !== undefined && session.model.server.done >= 1, 5000, 'the hello and the negotiation');

	return {
		session,
		host,
		guest,
		executed,
		hold() {
			held = gate();
		},
		release() {
			held?.open();
			held = undefined;
		},
		async guestCalls(method) {
			return guest.call(method);
		},
		async close() {
			held?.open();
			await session.close();
			guest.close();
			pair.close();
		},
	};
}
