/**
 * `node dist/bench/profile/allocations-per-call.js [CALLS]`: how many promises, timers and ticks
 * one `agent_ping` through the monitor's Session creates (host Session and virtagent guest in
 * this process, counted with async_hooks). Unlike a rate, the count does not depend on the load
 * of the machine: a change to the command path shows as a different number at once.
 */
import {allCommands} from '../../commands/index.js';
import {openSession} from '../../src/monitor/open-session.js';
import {listenEndpoint} from '../../src/transport/endpoint.js';
import {asyncResourcesPerCall} from '../lib/async-resources.js';
import {scratch} from '../lib/context.js';
import {attachFirst, benchAgent} from '../peers/agents.js';

const calls = Number(process.argv[2] ?? 2000);
const work = scratch('profile');
const guest = benchAgent('guest', {getfile: false});
const listener = await listenEndpoint({kind: 'unix', path: work.file('pair.sock')}, attachFirst(guest));
const monitor = await openSession({
	commands: allCommands,
	target: {mode: 'connect', endpoint: {kind: 'unix', path: work.file('pair.sock')}},
	protocol: 'virtagent',
	timeoutMs: 60_000,
	waitForGuest: true,
});
const ping = async () => {
	const outcome = await monitor.execute('agent_ping');
	if (!outcome.ok) {
		throw new Error(outcome.text);
	}
};

// Warm up (the handshake and the first calls create their own).
for (let i = 0; i < 200; i++) {
	await ping();
}

console.log(`per agent_ping (${calls} calls, host and guest): ${await asyncResourcesPerCall(calls, ping)}`);
await monitor.close();
guest.close();
await listener.close();
work.remove();
