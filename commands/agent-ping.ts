import type {Command} from '../src/monitor/command.js';

/** `agent_ping`: `ok`; a failure prints as every error does, `error: <class> (<code>): …`. */
const agentPing: Command = {
	name: 'agent_ping',
	args: [],
	params: '',
	help: 'check that the guest agent answers (va.ping)',
	async run(context) {
		await context.call('va.ping');
		return {value: {}, text: 'ok'};
	},
};

export default agentPing;
