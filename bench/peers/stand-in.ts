import type {Agent} from '../../src/engine/agent.js';
import {benchModule} from '../lib/paths.js';
import {type Child, startChild, waitForLine} from '../lib/process.js';
import {connectAgent} from './agents.js';

/** The stand-in guest process (agent-peer-main.ts) and the host agent connected to it. */
export type StandIn = {
	readonly child: Child;
	readonly host: Agent;
	/** Has the stand-in ping the host `count` times, one at a time; resolves with its rate. */
	pingHost(count: number): Promise<number>;
	stop(): Promise<void>;
};

type Reply = {readonly type: 'pinged'; readonly rate: number} | {readonly type: 'failed'; readonly message: string};

export async function startStandIn(socketPath: string): Promise<StandIn> {
	const child = startChild(process.execPath, [benchModule('peers/agent-peer-main.js'), socketPath], {stdio: ['ignore', 'pipe', 'pipe', 'ipc']});
	try {
		await waitForLine(child, /^ready$/);
	} catch (error) {
		await child.stop();
		throw error;
	}

	const host = await connectAgent(socketPath, 'host');
	return {
		child,
		host,
		async pingHost(count) {
			return new Promise<number>((resolve, reject) => {
				child.process.once('message', (reply: Reply) => {
					if (reply.type === 'pinged') {
						resolve(reply.rate);
					} else {
						reject(new Error(`stand-in guest: ${reply.message}`));
					}
				});
				child.process.send({type: 'ping', count});
			});
		},
		async stop() {
			host.close();
			child.process.disconnect();
			await child.stop();
		},
	};
}
