/**
 * `node dist/bench/profile/ping-guest.js SOCKET [CALLS]`: pings a guest daemon already
 * listening on SOCKET, one call at a time, so that the daemon can be profiled
 * (`node --cpu-prof bin/virtagent.js guest --channel unix-listen --path SOCKET ...`).
 */
import {callLoop, connectAgent} from '../peers/agents.js';

const [socketPath, callsText] = process.argv.slice(2);
if (!socketPath) {
	console.error('usage: ping-guest SOCKET [CALLS]');
	process.exit(2);
}

const calls = Number(callsText ?? 50_000);
const host = await connectAgent(socketPath, 'host');
const rate = await callLoop(host, 'va.ping', [], calls);
console.log(`${calls} pings: ${Math.round(rate)} calls/s`);
host.close();
