import {defineCommand, type CommandResult} from '../src/monitor/command.js';
import {byProtocol, type PerProtocol} from '../src/monitor/qga/dispatch.js';
import {rpcs} from '../src/rpc/catalogue.js';

/** Made once: an object and two closures per ping otherwise. */
const ping: PerProtocol<unknown> = {
	virtagent: context => context.call(rpcs.ping, []),
	qga: context => context.callMethod('guest-ping', []),
};

/** The same frozen answer every time: nobody may change a command's result. */
const pongResult: CommandResult = Object.freeze({value: Object.freeze({}), text: 'ok'});

function pong(): CommandResult {
	return pongResult;
}

/** `agent_ping`: `ok`; a failure prints as every error does, `error: <class> (<code>): …`. */
const agentPing = defineCommand({
	name: 'agent_ping',
	args: [],
	help: 'check that the guest agent answers (va.ping; guest-ping on qemu-ga)',
	// Not async, nor its variants: each async layer wraps the call's promise in another (every ping).
	run(context) {
		return byProtocol(context, ping).then(pong);
	},
});

export default agentPing;
