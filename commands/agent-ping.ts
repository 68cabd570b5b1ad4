import {defineCommand} from '../src/monitor/command.js';
import {byProtocol} from '../src/monitor/qga/dispatch.js';
import {rpcs} from '../src/rpc/catalogue.js';

/** `agent_ping`: `ok`; a failure prints as every error does, `error: <class> (<code>): …`. */
const agentPing = defineCommand({
	name: 'agent_ping',
	args: [],
	help: 'check that the guest agent answers (va.ping; guest-ping on qemu-ga)',
	async run(context) {
		await byProtocol(context, {
			// Not async arrows: each would wrap the call's promise in another (every ping).
			virtagent: () => context.call(rpcs.ping, []),
			qga: () => context.callMethod('guest-ping', []),
		});
		return {value: {}, text: 'ok'};
	},
});

export default agentPing;
