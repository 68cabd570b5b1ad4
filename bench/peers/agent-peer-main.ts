/**
 * `node agent-peer-main.js SOCKET`, forked with IPC: the stand-in guest as its own process.
 * Listens on SOCKET, serves va.ping and va.getfile on the first connection, prints `ready`.
 * IPC `{type: 'ping', count}` makes it ping the host `count` times, one at a time, and answer
 * `{type: 'pinged', rate}` (or `{type: 'failed', message}`): the guest→host half of case 4.
 */
import {listenEndpoint} from '../../src/transport/endpoint.js';
import {attachFirst, benchAgent, callLoop} from './agents.js';

type Command = {readonly type: 'ping'; readonly count: number};

const socketPath = process.argv[2];
if (!socketPath || !process.send) {
	console.error('usage: agent-peer-main SOCKET (forked with an IPC channel)');
	process.exit(2);
}

const agent = benchAgent('guest', {getfile: true});
const listener = await listenEndpoint({kind: 'unix', path: socketPath}, attachFirst(agent));
process.on('message', (command: Command) => {
	callLoop(agent, 'va.ping', [], command.count).then(
		rate => process.send!({type: 'pinged', rate}),
		(error: unknown) => process.send!({type: 'failed', message: (error as Error).message}),
	);
});
process.on('disconnect', () => {
	agent.close();
	void listener.close().then(() => process.exit(0));
});
console.log('ready');
