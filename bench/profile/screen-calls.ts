/**
 * `node dist/bench/profile/screen-calls.js CALLS MODE [--instructions]`: bench case 5's closed
 * loop of `agent_ping` in one process (the guest daemon in it too), without the terminal's
 * bytes and processes, to see what the live screen adds per call. MODE `scripted` runs each
 * line through the session as scripted mode does; `screen` types each line into the mounted
 * screen (a stand-in terminal in raw mode) and waits for its outcome; `screen-still` does the
 * same with the frame clock stopped (the per-call part alone, no frames). Prints CPU per call;
 * `--instructions` gives instructions per call under callgrind instead (load-independent; the
 * frames then come at the frame clock's wall-time rate of a 50 times slower process, so use
 * it with `screen-still`).
 */
import {createInterface} from 'node:readline';
import {PassThrough} from 'node:stream';
import {instructionsPerOperation} from '../lib/instructions.js';
import {TypedInput} from '../lib/typed-input.js';

const [calls = 2000, mode = 'screen'] = [Number(process.argv[2] ?? 2000), process.argv[3]];
if (process.argv.includes('--instructions')) {
	const script = new URL(import.meta.url).pathname;
	const perCall = instructionsPerOperation(script, calls, count => [String(count), mode ?? 'screen']);
	console.log(`${mode}: ${Math.round(perCall).toLocaleString('en')} instructions per agent_ping`);
	process.exit(0);
}

// React's production build, as bin/virtagent.js sets it before the screen loads React.
process.env.NODE_ENV ??= 'production';
const {GuestDaemon} = await import('../../src/guest/daemon.js');
const {channelSourceFor} = await import('../../src/guest/channel-source.js');
const {createGuestLog} = await import('../../src/guest/log.js');
const {parseGuestArgs} = await import('../../src/guest/options.js');
const {allCommands} = await import('../../commands/index.js');
const {openSession} = await import('../../src/monitor/open-session.js');
const {mountScreen} = await import('../../src/monitor/ui/start.js');
const {startPlain} = await import('../../src/monitor/ui/plain.js');
const {runScript} = await import('../../src/monitor/script.js');
const {scratch} = await import('../lib/context.js');

const terminal = {
	columns: 100,
	rows: 30,
	write: () => true,
	on: () => undefined,
	off: () => undefined,
};

const work = scratch('screen-calls');
const socketPath = work.file('guest.sock');
const parsed = parseGuestArgs(['--channel', 'unix-listen', '--path', socketPath, '--block-rpcs', 'va.shutdown', '--shutdown-command', 'true']);
if (parsed.kind !== 'run') {
	throw new Error('unexpected guest arguments');
}

const log = createGuestLog({verbose: false, write: () => undefined});
const daemon = new GuestDaemon({config: parsed.config, log, source: channelSourceFor(parsed.config, log)});
await daemon.start();
const session = await openSession({target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}}, commands: allCommands, waitForGuest: true});

let run: () => Promise<void>;
let screen: ReturnType<typeof mountScreen> | undefined;
if (mode === 'scripted') {
	run = async () => {
		const outcome = await session.execute('agent_ping');
		if (!outcome.ok) {
			throw new Error(outcome.text);
		}
	};
} else if (mode === 'script') {
	// Scripted mode as the CLI runs it: readline over the input, the script runner's feeder.
	const input = new PassThrough({encoding: 'utf8'});
	void runScript(session, createInterface({input, crlfDelay: Number.POSITIVE_INFINITY}), {stdout: () => undefined, stderr: () => undefined});
	const waitOutcome = outcomeWaiter();
	run = async () => {
		const done = waitOutcome();
		input.write('agent_ping\n');
		return done;
	};
} else if (mode === 'plain') {
	// --plain on a terminal: readline's lines, the prompt and the outcome written, no screen.
	const input = new PassThrough({encoding: 'utf8'});
	void startPlain(session, {input, output: {write: () => true}, prompt: true});
	const waitOutcome = outcomeWaiter();
	run = async () => {
		const done = waitOutcome();
		input.write('agent_ping\n');
		return done;
	};
} else {
	const input = new TypedInput();
	screen = mountScreen(session, {
		stdin: input as unknown as NodeJS.ReadStream,
		stdout: terminal,
		patchConsole: false,
		frameMs: mode === 'screen-still' ? 1e9 : undefined,
	});
	const waitOutcome = outcomeWaiter();
	run = async () => {
		const done = waitOutcome();
		input.write('agent_ping\r');
		return done;
	};
}

/** A promise for the session's next command outcome (how the typed modes know a line ran). */
function outcomeWaiter(): () => Promise<void> {
	let waiting: (() => void) | undefined;
	session.subscribe(event => {
		if (event.type === 'outcome') {
			if (!event.outcome.ok) {
				throw new Error(event.outcome.text);
			}

			waiting?.();
		}
	});
	return async () =>
		new Promise<void>(resolve => {
			waiting = resolve;
		});
}

// Warm up (the JIT, and the screen's first frames), then measure.
for (let i = 0; i < 300; i++) {
	await run();
}

const drawsBefore = screen?.terminal.draws ?? 0;
const before = process.cpuUsage();
const start = performance.now();
for (let i = 0; i < calls; i++) {
	await run();
}

const used = process.cpuUsage(before);
const seconds = (performance.now() - start) / 1000;
const frames = (screen?.terminal.draws ?? 0) - drawsBefore;
console.log(
	`${mode}: ${((used.user + used.system) / calls).toFixed(1)} µs CPU per call, ${Math.round(calls / seconds)} calls/s, ${(frames / seconds).toFixed(1)} frames/s (${frames} frames)`,
);
screen?.instance.unmount();
await session.close();
await daemon.close();
work.remove();
// Ink keeps the stand-in stdin's listeners: nothing else is left to finish.
process.exit(0);
