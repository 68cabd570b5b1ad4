/**
 * `node --cpu-prof dist/bench/profile/ping-pair.js [CALLS] [--echo]`: the engine pair of case 1
 * in one process with nothing else, for a CPU profile of the ping hot path; `--echo`: the raw
 * echo of case 1 in one process instead (its baseline).
 *
 * `--instructions`: runs itself twice under valgrind's callgrind (CALLS, then 2 × CALLS, after the
 * same warm-up) and prints user-space instructions per round trip (both ends are in this one
 * process): with and without `--echo`, the in-process ratio of case 1 in figures the machine's
 * load does not move (the kernel's part, the same two socket hops for both, is not in them).
 *
 * `--allocations`: the bytes allocated per round trip (both ends), and by which function
 * (V8's sampling heap profiler, freed objects included).
 */
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {listenEndpoint} from '../../src/transport/endpoint.js';
import {scratch} from '../lib/context.js';
import {printAllocationsPerCall} from '../lib/allocation-sites.js';
import {instructionsPerOperation} from '../lib/instructions.js';
import {pingFrameSizes} from '../lib/sizes.js';
import {connectEchoClient, startEchoServer} from '../peers/echo.js';
import {attachFirst, benchAgent, connectAgent} from '../peers/agents.js';

const {values, positionals} = parseArgs({
	allowPositionals: true,
	options: {
		echo: {type: 'boolean', default: false},
		warmup: {type: 'string', default: '20000'},
		instructions: {type: 'boolean', default: false},
		allocations: {type: 'boolean', default: false},
	},
});
const calls = Number(positionals[0] ?? 20_000);
const warmup = Number(values.warmup);
const what = values.echo ? 'raw echo' : 'engine pair';

if (values.instructions) {
	const perCall = instructionsPerOperation(fileURLToPath(import.meta.url), calls, count => [
		String(count),
		'--warmup',
		String(warmup),
		...(values.echo ? ['--echo'] : []),
	]);
	console.log(`${what}, in-process: ${(perCall / 1000).toFixed(1)}k instructions per round trip (${calls} after ${warmup})`);
	process.exit(0);
}

const work = scratch('profile');
let roundTrip: () => Promise<unknown>;
let close: () => Promise<void>;
if (values.echo) {
	const sizes = pingFrameSizes();
	const server = await startEchoServer(work.file('echo.sock'), sizes);
	const client = await connectEchoClient(work.file('echo.sock'), sizes);
	roundTrip = async () => client.roundTrip();
	close = async () => {
		client.close();
		await server.close();
	};
} else {
	const guest = benchAgent('guest', {getfile: false});
	const listener = await listenEndpoint({kind: 'unix', path: work.file('pair.sock')}, attachFirst(guest));
	const host = await connectAgent(work.file('pair.sock'), 'host');
	roundTrip = async () => host.call('va.ping');
	close = async () => {
		host.close();
		guest.close();
		await listener.close();
	};
}

for (let i = 0; i < warmup; i++) {
	await roundTrip();
}

if (values.allocations) {
	await printAllocationsPerCall(
		calls,
		roundTrip,
		perCall => `${what}, in-process: ~${perCall} bytes allocated per round trip (sampled; ${calls} after ${warmup}), by function:`,
	);

	await close();
	work.remove();
	process.exit(0);
}

const start = performance.now();
for (let i = 0; i < calls; i++) {
	await roundTrip();
}

const seconds = (performance.now() - start) / 1000;
console.log(`${what}, in-process: ${calls} round trips, ${Math.round(calls / seconds)} calls/s`);
await close();
work.remove();
