/**
 * `node dist/bench/profile/qga-messages.js [CALLS] [--contender NAME]`: the monitor's own
 * JavaScript work per qemu-ga ping, with no socket and no qemu-ga process: an in-memory qemu-ga
 * that answers each request line on the next turn of the event loop (as a socket's reply
 * would come). Contenders: `bare` (a line client: stringify, write, parse, resolve), `agent` (the
 * engine and the qga wire, nobody listening), `events` (the same with the session's listener:
 * every state and job event built and taken into the queue model) and `session`
 * (`agent_ping` through the session: command line, context, gate, engine, events). Prints the
 * CPU time per call.
 *
 * `--allocations`: the bytes allocated per call, and by which function (sampled, freed objects
 * included): the figure that found the hash-table churn of a Set and a Map per round trip.
 *
 * `--instructions`: runs itself twice under valgrind's callgrind (CALLS, then 2 × CALLS, after
 * the same warm-up) and prints user-space instructions per call: the figure to judge a change
 * by on a loaded machine. The in-memory qemu-ga's own work is in every contender alike.
 */
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {printAllocationsPerCall} from '../lib/allocation-sites.js';
import {instructionsPerOperation} from '../lib/instructions.js';
import {memoryChannel} from '../lib/memory-channel.js';
import {allCommands} from '../../commands/index.js';
import {Agent} from '../../src/engine/agent.js';
import {hostRegistry} from '../../src/monitor/host-rpcs.js';
import {guestProtocolFactory} from '../../src/monitor/qga/protocol-switch.js';
import {initialQueueModel} from '../../src/monitor/queue-model.js';
import {QueueTracker} from '../../src/monitor/queue-tracker.js';
import {Session} from '../../src/monitor/session.js';
import type {Connection} from '../../src/monitor/connection.js';
import type {Channel} from '../../src/transport/channel.js';

const contenders = ['bare', 'agent', 'events', 'session'] as const;
type ContenderName = (typeof contenders)[number];

const {values, positionals} = parseArgs({
	allowPositionals: true,
	options: {
		contender: {type: 'string', default: 'session'},
		warmup: {type: 'string', default: '20000'},
		instructions: {type: 'boolean', default: false},
		allocations: {type: 'boolean', default: false},
	},
});
const calls = Number(positionals[0] ?? 100_000);
const warmup = Number(values.warmup);
const name = values.contender as ContenderName;
if (!contenders.includes(name)) {
	throw new Error(`--contender: one of ${contenders.join(', ')}`);
}

if (values.instructions) {
	const perCall = instructionsPerOperation(fileURLToPath(import.meta.url), calls, count => [String(count), '--warmup', String(warmup), '--contender', name]);
	console.log(`${name}: ${(perCall / 1000).toFixed(1)}k instructions per call (qga ping in-process, ${calls} calls after ${warmup})`);
	process.exit(0);
}

/** qemu-ga in memory: each request line is answered on the next turn of the event loop. */
function memoryQemuGa(): Channel {
	const answer = (line: string): string => {
		const request = JSON.parse(line) as {execute: string; arguments?: {id?: number}; id?: string};
		const id = request.id === undefined ? '' : `, "id": ${JSON.stringify(request.id)}`;
		if (request.execute === 'guest-sync-delimited') {
			return `\u00ff{"return": ${request.arguments?.id ?? 0}${id}}\n`;
		}

		if (request.execute === 'guest-info') {
			const commands = ['guest-ping', 'guest-info', 'guest-sync-delimited'].map(command => ({name: command, enabled: true, 'success-response': true}));
			return `{"return": ${JSON.stringify({version: 'in-memory', supported_commands: commands})}${id}}\n`;
		}

		return `{"return": {}${id}}\n`;
	};

	return memoryChannel('memory:qemu-ga', (bytes, deliver) => {
		const text = bytes.toString('latin1');
		const line = (text.startsWith('\u00ff') ? text.slice(1) : text).trim();
		setImmediate(() => {
			deliver(Buffer.from(answer(line), 'latin1'));
		});
	});
}

function newAgent(): Agent {
	return new Agent({name: 'host', registry: hostRegistry(), callTimeoutMs: 60_000, protocol: guestProtocolFactory('qga')});
}

async function contender(which: ContenderName): Promise<() => Promise<unknown>> {
	if (which === 'bare') {
		const channel = memoryQemuGa();
		let pending: ((value: unknown) => void) | undefined;
		let key = 0;
		channel.start({
			data(chunk) {
				const done = pending;
				pending = undefined;
				done?.((JSON.parse(chunk.toString('utf8')) as {return: unknown}).return);
			},
			close() {
				// Never closes.
			},
		});
		return async () =>
			new Promise(resolve => {
				pending = resolve;
				void channel.writeEager!(Buffer.from(`${JSON.stringify({execute: 'guest-ping', id: `q${key++}`})}\n`));
			});
	}

	const agent = newAgent();
	if (which === 'session') {
		// The connection's part, in memory: already connected, speaking qga.
		const connection = {
			label: 'memory:qemu-ga',
			state: {state: 'connected', since: Date.now()},
			protocol: 'qga',
			async start() {
				agent.attach(memoryQemuGa());
			},
			subscribe: () => () => undefined,
			async close() {
				agent.detach('closed');
			},
			refused() {
				// Never refused.
			},
		} as unknown as Connection;
		const session = await new Session({agent, connection, commands: allCommands, timeoutMs: 60_000}).start();
		const capabilities = await session.execute('agent_capabilities');
		if (!capabilities.ok) {
			throw new Error(capabilities.text);
		}

		return async () => {
			const outcome = await session.execute('agent_ping');
			if (!outcome.ok) {
				throw new Error(outcome.text);
			}
		};
	}

	if (which === 'events') {
		// What the session does with each engine event: the queue model takes it.
		const queue = new QueueTracker(initialQueueModel());
		agent.subscribe(event => {
			queue.apply(event);
		});
	}

	agent.attach(memoryQemuGa());
	return async () => agent.call('guest-ping', [], {timeoutMs: 60_000});
}

const call = await contender(name);
for (let i = 0; i < warmup; i++) {
	await call();
}

if (values.allocations) {
	await printAllocationsPerCall(
		calls,
		call,
		perCall => `${name}: ~${perCall} bytes allocated per call (sampled; ${calls} calls after ${warmup}), by function:`,
	);

	process.exit(0);
}

const before = process.cpuUsage();
for (let i = 0; i < calls; i++) {
	await call();
}

const cpu = process.cpuUsage(before);
console.log(`${name}: ${((cpu.user + cpu.system) / calls).toFixed(2)} us CPU per call (${calls} calls after ${warmup})`);
process.exit(0);
