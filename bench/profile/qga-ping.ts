/**
 * `node dist/bench/profile/qga-ping.js [CALLS] [ROUNDS]`: where the monitor's qemu-ga ping
 * spends its time. Three clients of real qemu-ga processes (safe block list), interleaved in
 * rounds: the bare QMP client (the bench's baseline), the host Agent alone (`guest-ping` through
 * the engine and the qga wire protocol), and the Session (`agent_ping`: command line, context,
 * gate, fold of every engine event). Prints the rate and this process's CPU per call for each:
 * the CPU figure hardly depends on the machine's load, the rate does.
 */
import {allCommands} from '../../commands/index.js';
import {Agent} from '../../src/engine/agent.js';
import {connectionFor} from '../../src/monitor/connection.js';
import {hostRegistry} from '../../src/monitor/host-rpcs.js';
import {guestProtocolFactory} from '../../src/monitor/qga/protocol-switch.js';
import {Session} from '../../src/monitor/session.js';
import {asyncResourcesPerCall} from '../lib/async-resources.js';
import {scratch} from '../lib/context.js';
import {findQemuGa, startQemuGa} from '../peers/qemu-ga.js';

const calls = Number(process.argv[2] ?? 5000);
const rounds = Number(process.argv[3] ?? 5);
/** A fourth argument keeps only the contenders whose name contains it (for --cpu-prof). */
const only = process.argv[4];
const binary = findQemuGa();
if (!binary) {
	throw new Error('needs qemu-ga');
}

const dirA = scratch('qga-bare');
const dirB = scratch('qga-mon');
const bare = await startQemuGa(binary, dirA.dir);
const second = await startQemuGa(binary, dirB.dir);
second.client.close();
const agent = new Agent({name: 'host', registry: hostRegistry(), callTimeoutMs: 60_000, protocol: guestProtocolFactory('qga')});
const connection = connectionFor({mode: 'connect', endpoint: {kind: 'unix', path: `${dirB.dir}/qga.sock`}}, agent, {});
// The same engine with nobody listening: what the session's fold of every engine event costs.
const dirC = scratch('qga-alone');
const third = await startQemuGa(binary, dirC.dir);
third.client.close();
const lone = new Agent({name: 'host', registry: hostRegistry(), callTimeoutMs: 60_000, protocol: guestProtocolFactory('qga')});
const loneConnection = connectionFor({mode: 'connect', endpoint: {kind: 'unix', path: `${dirC.dir}/qga.sock`}}, lone, {});
await loneConnection.start();
await lone.call('guest-sync-delimited', [], {timeoutMs: 10_000}).catch(() => undefined);
const session = await new Session({agent, connection, commands: allCommands, timeoutMs: 60_000, waitForGuest: true}).start();
await session.waitForGuest(10_000);

type Contender = {readonly name: string; readonly call: () => Promise<unknown>; rates: number[]; cpu: number[]};
const contenders: Contender[] = [
	{name: 'bare QMP client', call: async () => bare.client.execute('guest-ping'), rates: [], cpu: []},
	{name: 'Agent (engine + qga wire)', call: async () => agent.call('guest-ping', [], {timeoutMs: 60_000}), rates: [], cpu: []},
	{name: 'Agent, no listener', call: async () => lone.call('guest-ping', [], {timeoutMs: 60_000}), rates: [], cpu: []},
	{
		name: 'Session agent_ping',
		async call() {
			const outcome = await session.execute('agent_ping');
			if (!outcome.ok) {
				throw new Error(outcome.text);
			}
		},
		rates: [],
		cpu: [],
	},
].filter(contender => only === undefined || contender.name.includes(only) || contender.name.startsWith('bare'));

for (let round = -1; round < rounds; round++) {
	for (let i = 0; i < contenders.length; i++) {
		const contender = contenders[(i + Math.max(0, round)) % contenders.length]!;
		const before = process.cpuUsage();
		const start = performance.now();
		for (let n = 0; n < calls; n++) {
			await contender.call();
		}

		const seconds = (performance.now() - start) / 1000;
		const cpu = process.cpuUsage(before);
		if (round >= 0) {
			contender.rates.push(calls / seconds);
			contender.cpu.push((cpu.user + cpu.system) / calls);
		}
	}
}

// What one call of each creates (promises, timers, ticks): a count the load does not move.
for (const contender of contenders) {
	console.log(`${contender.name.padEnd(28)} per call: ${await asyncResourcesPerCall(1000, contender.call)}`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const baseline = median(contenders[0]!.rates);
for (const contender of contenders) {
	console.log(
		`${contender.name.padEnd(28)} ${Math.round(median(contender.rates)).toString().padStart(7)} calls/s  ${(median(contender.rates) / baseline).toFixed(2)}  host CPU ${median(contender.cpu).toFixed(1)} us/call`,
	);
}

await session.close();
await bare.stop();
await second.stop();
await loneConnection.close();
lone.close();
await third.stop();
dirC.remove();
dirA.remove();
dirB.remove();
