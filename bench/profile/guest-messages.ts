/**
 * `node dist/bench/profile/guest-messages.js [MESSAGES] [--method NAME]`: the guest daemon's own
 * JavaScript work per request, with no socket and no second process: a whole `GuestDaemon` (its
 * registry, log and engine, as `virtagent guest` wires them) on an in-memory channel that takes
 * every write at once. Prints the CPU time per request.
 *
 * `--instructions`: runs itself twice under valgrind's callgrind (MESSAGES, then 2 × MESSAGES,
 * after the same warm-up) and prints user-space instructions per request: a figure the machine's
 * load does not move, to judge a change to the guest's hot path by.
 */
import {createHook} from 'node:async_hooks';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {instructionsPerOperation} from '../lib/instructions.js';
import {memoryChannel, type MemoryChannel} from '../lib/memory-channel.js';
import {GuestDaemon} from '../../src/guest/daemon.js';
import {createGuestLog} from '../../src/guest/log.js';
import {parseGuestArgs} from '../../src/guest/options.js';
import {encodeCall, encodeResponse} from '../../src/protocol/codec.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';

const {values, positionals} = parseArgs({
	allowPositionals: true,
	options: {method: {type: 'string', default: 'va.ping'}, warmup: {type: 'string', default: '20000'}, instructions: {type: 'boolean', default: false}},
});
const messages = Number(positionals[0] ?? 100_000);
const warmup = Number(values.warmup);

if (values.instructions) {
	const perRequest = instructionsPerOperation(fileURLToPath(import.meta.url), messages, count => [
		String(count),
		'--warmup',
		String(warmup),
		'--method',
		values.method,
	]);
	console.log(`${values.method}: ${(perRequest / 1000).toFixed(1)}k instructions per request (guest daemon in-process, ${messages} requests after ${warmup})`);
	process.exit(0);
}

/** The host's end, in memory: every write is taken at once; requests (the hello) are answered. */
function hostEnd(): MemoryChannel & {readonly responses: number} {
	let responses = 0;
	const fromGuest = new FrameDecoder();
	const channel = memoryChannel('memory', (bytes, deliver) => {
		// A response frame starts `0xFF HTTP/`: counted, not decoded (that would be the host's work).
		if (bytes[1] === 0x48) {
			responses++;
			return;
		}

		for (const event of fromGuest.push(bytes)) {
			if (event.type !== 'frame' || event.frame.kind !== 'request') {
				throw new Error(`the guest wrote something else than a request: ${JSON.stringify(event)}`);
			}

			const answer = encodeFrame('response', event.frame.tag, encodeResponse('dummy'));
			queueMicrotask(() => {
				deliver(answer);
			});
		}
	});
	// A getter (Object.assign would copy today's count once).
	Object.defineProperty(channel, 'responses', {get: () => responses});
	return channel as MemoryChannel & {readonly responses: number};
}

const parsed = parseGuestArgs(['--channel', 'unix-listen', '--path', '/nonexistent', '--block-rpcs', 'va.shutdown', '--shutdown-command', 'true']);
if (parsed.kind !== 'run') {
	throw new Error('unexpected guest arguments');
}

const channel = hostEnd();
const daemon = new GuestDaemon({
	config: parsed.config,
	log: createGuestLog({verbose: false, journal: false, write: () => undefined}),
	source: {
		label: 'memory',
		async start(onChannel) {
			onChannel(channel);
		},
		async close() {
			channel.destroy();
		},
	},
});
await daemon.start();
await new Promise(resolve => setImmediate(resolve)); // The hello goes and is answered.

// Distinct tags, as a host sends them; one frame per chunk, as one round trip at a time reads.
const body = encodeCall(values.method, []);
const frames = Array.from({length: 1024}, (_, i) => encodeFrame('request', `a1b2c3.${i + 1}`, body));
const send = (count: number) => {
	for (let i = 0; i < count; i++) {
		channel.deliver(frames[i % frames.length]!);
	}
};

send(warmup);
const before = channel.responses;
const cpu = process.cpuUsage();
send(messages);
const used = process.cpuUsage(cpu);
if (channel.responses - before !== messages) {
	throw new Error(`${messages} requests, ${channel.responses - before} responses`);
}

console.log(
	`${values.method}: ${(((used.user + used.system) / messages) * 1000).toFixed(0)} ns CPU per request (guest daemon in-process, ${messages} after ${warmup})`,
);
// Timers, promises, ticks the daemon itself makes per request (the socket's own are not here).
const created = new Map<string, number>();
const hook = createHook({
	init(_id, type) {
		created.set(type, (created.get(type) ?? 0) + 1);
	},
}).enable();
send(1000);
hook.disable();
console.log(`async resources per request: ${[...created].map(([type, count]) => `${type} ${count / 1000}`).join(', ') || 'none'}`);
await daemon.close();
