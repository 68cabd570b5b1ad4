import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {CallContext} from '../../src/engine/registry.js';
import {channelSourceFor, type ChannelSource} from '../../src/guest/channel-source.js';
import {GuestDaemon} from '../../src/guest/daemon.js';
import {createGuestLog, type GuestLog} from '../../src/guest/log.js';
import {parseGuestArgs} from '../../src/guest/options.js';
import {registerGuestRpcs, type GuestRpcOptions} from '../../src/guest/rpcs/index.js';
import {ShutdownScheduler} from '../../src/guest/rpcs/shutdown.js';
import {ServedRegistry} from '../../src/guest/served-registry.js';
import type {DecodedResponse, XmlRpcValue} from '../../src/protocol/value.js';
import type {Channel} from '../../src/transport/channel.js';
import {tempDir} from '../helpers/socket-pair.js';
import {connectHost, makeHost, type Host} from './helpers.js';

/*
 * The guest's RPC handlers in the test's own process (the mutation run reaches only these: the
 * process tests run the compiled dist/). Two ways in, both through the daemon's own wiring:
 * - `guestHandlers`: `registerGuestRpcs` into a `ServedRegistry`, dispatched directly;
 * - `inProcessGuest`: a whole `GuestDaemon` (options parsed from a command line, a real
 *   unix-listen source) with the project's engine as the host over a real socket.
 */

/** A log that keeps its lines (timestamps dropped: `level: message`). */
export function memoryLog(verbose = true): GuestLog & {readonly lines: string[]} {
	const lines: string[] = [];
	const log = createGuestLog({verbose, journal: false, write: line => lines.push(line.replace(/^\S+ /u, '').replace(/\n$/u, ''))});
	return {verbose: log.verbose, log: log.log.bind(log), lines};
}

/**
 * A harmless stand-in for shutdown(8): a node script that appends its arguments as one JSON line
 * to `runs.jsonl` in `dir`. `runs()` reads them back.
 */
export function recorder(dir: string): {argv: (...extra: string[]) => string[]; runs: () => string[][]} {
	const script = path.join(dir, 'record.mjs');
	const file = path.join(dir, 'runs.jsonl');
	writeFileSync(script, `import {appendFileSync} from 'node:fs';\nappendFileSync(${JSON.stringify(file)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`);
	writeFileSync(file, '');
	return {
		argv: (...extra) => [process.execPath, script, ...extra],
		runs: () => readLines(file).map(line => JSON.parse(line) as string[]),
	};
}

/** Each run appends its line with one write: a line without its newline is still being written. */
function readLines(file: string): string[] {
	return readFileSync(file, 'utf8').split('\n').slice(0, -1);
}

export type Handlers = {
	readonly registry: ServedRegistry;
	readonly log: ReturnType<typeof memoryLog>;
	/** Dispatch as the engine does; `afterReply` actions are kept in `replies` for the test to settle. */
	call(method: string, params?: readonly XmlRpcValue[]): Promise<DecodedResponse>;
	readonly replies: Array<(sent: boolean) => void>;
};

/** The guest's handlers as the daemon registers them, without an engine in front. */
export function guestHandlers(options: Partial<GuestRpcOptions> = {}): Handlers {
	const log = memoryLog();
	const registry = new ServedRegistry(log);
	registerGuestRpcs(registry, {
		getfileLimit: 1024 * 1024,
		dmesg: {},
		shutdown: new ShutdownScheduler({command: ['false'], delayMs: 60_000, log}),
		...options,
	});
	const replies: Array<(sent: boolean) => void> = [];
	const context: CallContext = {
		tag: 't1',
		afterReply(action) {
			replies.push(action);
		},
	};
	return {
		registry,
		log,
		replies,
		async call(method, params = []) {
			return registry.dispatch({method, params}, context);
		},
	};
}

/** The value of a success answer (the test fails on a fault, showing it). */
export function valueOf(response: DecodedResponse): XmlRpcValue {
	if (!response.ok) {
		throw new Error(`expected a success answer, got fault ${response.fault.code} ${response.fault.message}`);
	}

	return response.value;
}

/** [code, message] of a fault answer (the test fails on a success). */
export function faultOf(response: DecodedResponse): [number, string] {
	if (response.ok) {
		throw new Error(`expected a fault, got ${JSON.stringify(response.value)}`);
	}

	return [response.fault.code, response.fault.message];
}

export type InProcessGuest = {
	readonly daemon: GuestDaemon;
	readonly host: Host;
	readonly lines: string[];
	readonly dir: string;
	readonly socketPath: string;
	close(): Promise<void>;
};

/**
 * A GuestDaemon started from `args` (after `--channel unix-listen --path … --verbose`) in this
 * process, and a host engine connected to it (unless `connect` is false: the test connects its own).
 * `wrap` may replace the channel the daemon gets.
 */
export async function inProcessGuest(
	args: readonly string[],
	wrap?: (channel: Channel) => Channel,
	options: {readonly connect?: boolean} = {},
): Promise<InProcessGuest> {
	const temp = tempDir('va-rpcs-');
	const socketPath = path.join(temp.dir, 'guest.sock');
	const parsed = parseGuestArgs(['--channel', 'unix-listen', '--path', socketPath, '--verbose', ...args]);
	if (parsed.kind !== 'run') {
		throw new Error(`not a run: ${parsed.kind}`);
	}

	const log = memoryLog();
	const inner = channelSourceFor(parsed.config, log);
	const source: ChannelSource = wrap
		? {
				label: inner.label,
				start: async onChannel =>
					inner.start(channel => {
						onChannel(wrap(channel));
					}),
				close: async () => inner.close(),
			}
		: inner;
	const daemon = new GuestDaemon({config: parsed.config, log, source, hello: {retryDelaysMs: []}});
	await daemon.start();
	const host = makeHost();
	if (options.connect ?? true) {
		await connectHost(host, socketPath);
	}

	return {
		daemon,
		host,
		lines: log.lines,
		dir: temp.dir,
		socketPath,
		async close() {
			host.close();
			await daemon.close();
			temp.remove();
		},
	};
}
