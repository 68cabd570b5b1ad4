/**
 * `node --cpu-prof dist/bench/profile/ping-pair.js [CALLS]`: the engine pair of case 1 in one
 * process with nothing else, for a CPU profile of the ping hot path.
 */
import {listenEndpoint} from '../../src/transport/endpoint.js';
import {scratch} from '../lib/context.js';
import {attachFirst, benchAgent, callLoop, connectAgent} from '../peers/agents.js';

const calls = Number(process.argv[2] ?? 20_000);
const work = scratch('profile');
const guest = benchAgent('guest', {getfile: false});
const listener = await listenEndpoint({kind: 'unix', path: work.file('pair.sock')}, attachFirst(guest));
const host = await connectAgent(work.file('pair.sock'), 'host');
const rate = await callLoop(host, 'va.ping', [], calls);
console.log(`${calls} pings: ${Math.round(rate)} calls/s`);
host.close();
guest.close();
await listener.close();
work.remove();
