import {createInterface} from 'node:readline';
import {parseArgs} from 'node:util';
import {defaultFrameLimits} from '../protocol/limits.js';
import {parseTcpAddress} from '../transport/endpoint.js';
import {packageVersion} from '../version.js';
import {usage, type Command} from './command.js';
import type {SessionTarget} from './connection.js';
import {isProtocolChoice, type ProtocolChoice} from './qga/protocol-switch.js';
import {logOutcomes, runScript} from './script.js';
import {applyColor, isColorChoice, type ColorChoice} from './ui/color.js';
import {openFleet} from './fleet/open-fleet.js';
import {fillOptionalLibvirt, fleetOptions, type FleetOptions} from './fleet/options.js';
import {openOneGuest} from './fleet/one-guest.js';

/** `--help`: the options, and the commands as the injected list declares them. */
export function monitorUsage(commands: readonly Command[]): string {
	return `usage: virtagent monitor (--connect PATH | --listen PATH | --tcp HOST:PORT | --tcp-listen HOST:PORT) [options]
       virtagent monitor (--connect [NAME=]ENDPOINT[,protocol=P] ... | --discover DIR | --libvirt [URI]) [--guest NAME] [options]

  --connect PATH         connect to a UNIX socket (QEMU -chardev socket,...,server=on); reconnects with back-off
  --connect [NAME=]ENDPOINT[,protocol=virtagent|qga|auto]
                         repeatable: one guest each (ENDPOINT: a socket path, unix:PATH or tcp:HOST:PORT);
                         unnamed, a guest is named after its socket (domain-3-web1/org.qemu.guest_agent.0: web1)
  --discover DIR         every agent socket under DIR (DIR/*/org.qemu.guest_agent.0, DIR/*/org.qemu.virtagent),
                         watched: VMs that start appear, VMs that stop go (repeatable)
  --libvirt [URI]        every running libvirt domain, through virsh qemu-agent-command
  --guest NAME           with several guests: the one commands run on (else use NAME, or @NAME/@all/@GLOB COMMAND)
  --listen PATH          listen on a UNIX socket (QEMU connects with server=off); one guest at a time
  --tcp HOST:PORT        connect over TCP; reconnects with back-off
  --tcp-listen HOST:PORT listen on TCP
  --protocol WHICH       what the guest speaks: virtagent, qga (QEMU's guest agent, qemu-ga) or
                         auto (default: probe each new stream and use what answers, docs/PROTOCOL.md §9)
  -c "CMD; CMD"          run these commands and exit (scripted mode; also when stdin is not a terminal)
  --json                 scripted: one line per command, {"id", "command", "return"|"error"} (docs/JSON.md)
  -e                     scripted: exit at the first command that fails
  -t                     show the time each command took ("ms" in --json)
  -v                     show the frames on the wire (on stderr)
  -l FILE                append every command and its result to FILE
  --timeout SECONDS      each command's deadline: more than 0, at most 3600 (default 5); scripted
                         commands also wait up to this long for the guest's hello
  --wait SECONDS         scripted: wait up to this long for the guest to appear (at most 3600;
                         default 0: a socket that is missing or refuses fails at once)
  --stall-timeout SECONDS
                         drop a message from the guest whose header is not complete, or whose
                         body gets no byte, within this: more than 0, at most 3600 (default 10)
  --history FILE         interactive: the history file (default ~/.virtagent_history)
  --plain                interactive: plain lines, no live screen (also when TERM=dumb or stdout is not a terminal)
  --color WHEN           auto (default: on a terminal, unless NO_COLOR is set; FORCE_COLOR forces), always or never
  -V, --version          the version
  -h, --help             this help

Commands (help COMMAND says more; ? is help, q and exit are quit):
${commands.map(command => `  ${usage(command)}`).join('\n')}

Exit code 0 only if every scripted command succeeded; 2 for bad options.`;
}

export type MonitorOptions = {
	readonly target: SessionTarget;
	/** Several guests (src/monitor/fleet/): then `target` is unused. */
	readonly fleet?: FleetOptions | undefined;
	readonly commands: string | undefined;
	readonly json: boolean;
	readonly stopOnError: boolean;
	readonly timing: boolean;
	readonly verbose: boolean;
	readonly logFile: string | undefined;
	readonly timeoutMs: number;
	readonly waitMs: number;
	/** A started frame from the guest must progress within this (docs/PROTOCOL.md §2). */
	readonly stallTimeoutMs: number;
	readonly historyFile: string | undefined;
	readonly plain: boolean;
	readonly color: ColorChoice;
	readonly protocol: ProtocolChoice;
};

/** A bad command line: one line on stderr, exit code 2. */
export class UsageError extends Error {}

/** The options with the target left out (`demo` chooses it), for checking before anything starts. */
export type MonitorCommandLine = Omit<MonitorOptions, 'target'> & {readonly target: SessionTarget | undefined};

export function parseOptions(args: readonly string[], {targetGiven = false} = {}): MonitorCommandLine | 'help' | 'version' {
	let parsed;
	try {
		parsed = parseArgs({
			args: fillOptionalLibvirt(args),
			strict: true,
			allowPositionals: false,
			options: {
				connect: {type: 'string', multiple: true},
				discover: {type: 'string', multiple: true},
				libvirt: {type: 'string'},
				guest: {type: 'string'},
				listen: {type: 'string'},
				tcp: {type: 'string'},
				'tcp-listen': {type: 'string'},
				command: {type: 'string', short: 'c'},
				json: {type: 'boolean'},
				'exit-on-error': {type: 'boolean', short: 'e'},
				time: {type: 'boolean', short: 't'},
				verbose: {type: 'boolean', short: 'v'},
				log: {type: 'string', short: 'l'},
				timeout: {type: 'string'},
				wait: {type: 'string'},
				'stall-timeout': {type: 'string'},
				history: {type: 'string'},
				plain: {type: 'boolean'},
				color: {type: 'string'},
				protocol: {type: 'string'},
				version: {type: 'boolean', short: 'V'},
				help: {type: 'boolean', short: 'h'},
			},
		});
	} catch (error) {
		throw new UsageError((error as Error).message.split('\n')[0]);
	}

	const {values} = parsed;
	if (values.help) {
		return 'help';
	}

	if (values.version) {
		return 'version';
	}

	let fleet = fleetOptions(values, message => new UsageError(message));
	const targets: SessionTarget[] = [];
	if (fleet === undefined && values.connect !== undefined) {
		targets.push({mode: 'connect', endpoint: {kind: 'unix', path: values.connect[0]!}});
	}

	if (values.listen !== undefined) {
		targets.push({mode: 'listen', endpoint: {kind: 'unix', path: values.listen}});
	}

	try {
		if (fleet !== undefined) {
			// Shorthands for a fleet's guests: --tcp is one more guest; a listening monitor holds one guest.
			if (values.listen !== undefined || values['tcp-listen'] !== undefined) {
				throw new UsageError('--listen and --tcp-listen hold one guest: not with several guests, --discover or --libvirt');
			}

			if (values.tcp !== undefined) {
				fleet = {...fleet, guests: [...fleet.guests, {name: undefined, target: {mode: 'connect', endpoint: parseTcpAddress(values.tcp)}}]};
			}
		} else if (values.tcp !== undefined) {
			targets.push({mode: 'connect', endpoint: parseTcpAddress(values.tcp)});
		}

		if (values['tcp-listen'] !== undefined) {
			targets.push({mode: 'listen', endpoint: parseTcpAddress(values['tcp-listen'])});
		}
	} catch (error) {
		throw new UsageError((error as Error).message);
	}

	if (fleet !== undefined) {
		// The guests are the fleet's.
	} else if (targetGiven && targets.length === 0) {
		// demo: the target is its own.
	} else if (targets.length !== 1) {
		throw new UsageError(
			targets.length === 0 ? 'say where the guest is: --connect, --listen, --tcp or --tcp-listen' : 'give only one of --connect, --listen, --tcp, --tcp-listen',
		);
	}

	const color = values.color ?? 'auto';
	if (!isColorChoice(color)) {
		throw new UsageError(`invalid --color '${color}' (auto, always or never)`);
	}

	const protocol = values.protocol ?? 'auto';
	if (!isProtocolChoice(protocol)) {
		throw new UsageError(`invalid --protocol '${protocol}' (virtagent, qga or auto)`);
	}

	return {
		target: targets[0],
		...(fleet === undefined ? {} : {fleet}),
		commands: values.command,
		json: values.json ?? false,
		stopOnError: values['exit-on-error'] ?? false,
		timing: values.time ?? false,
		verbose: values.verbose ?? false,
		logFile: values.log,
		timeoutMs: seconds('--timeout', values.timeout, 5, false),
		waitMs: seconds('--wait', values.wait, 0, true),
		stallTimeoutMs: Math.max(1, seconds('--stall-timeout', values['stall-timeout'], defaultFrameLimits.headerStallMs / 1000, false)),
		historyFile: values.history,
		plain: values.plain ?? false,
		color,
		protocol,
	};
}

/** `--timeout 2.5` as milliseconds: a number of seconds up to an hour (0 only where allowed). */
function seconds(option: string, text: string | undefined, fallback: number, zeroAllowed: boolean): number {
	const value = text === undefined ? fallback : Number(text);
	if (text !== undefined && (!/^\d+(\.\d+)?$/u.test(text) || (value === 0 && !zeroAllowed) || value > 3600)) {
		throw new UsageError(`invalid ${option} '${text}' (seconds, ${zeroAllowed ? '0' : 'more than 0'} to 3600)`);
	}

	return Math.round(value * 1000);
}

/** `virtagent monitor …` with these commands (commands/index.ts): returns the exit code. */
export async function monitorMain(args: readonly string[], commands: readonly Command[], fleetCommands: readonly Command[] = []): Promise<number> {
	let options: MonitorCommandLine | 'help' | 'version';
	try {
		options = parseOptions(args);
	} catch (error) {
		if (error instanceof UsageError) {
			console.error(`virtagent monitor: ${error.message} (try --help)`);
			return 2;
		}

		throw error;
	}

	if (options === 'help') {
		console.log(monitorUsage(commands));
		return 0;
	}

	if (options === 'version') {
		console.log(`virtagent ${packageVersion}`);
		return 0;
	}

	return runMonitor({...options, target: options.target!}, commands, fleetCommands);
}

/** The monitor with checked options (`demo` comes here with its own target). */
export async function runMonitor(options: MonitorOptions, commands: readonly Command[], fleetCommands: readonly Command[] = []): Promise<number> {
	applyColor(options.color);
	const interactive = options.commands === undefined && process.stdin.isTTY === true;
	let session;
	try {
		session =
			options.fleet === undefined
				? await openOneGuest(
						{
							target: options.target,
							commands,
							timeoutMs: options.timeoutMs,
							waitForGuest: !interactive,
							wireTap: options.verbose,
							protocol: options.protocol,
							stallTimeoutMs: options.stallTimeoutMs,
						},
						fleetCommands,
					)
				: await openFleet({
						fleet: options.fleet,
						commands,
						fleetCommands,
						timeoutMs: options.timeoutMs,
						scripted: interactive ? undefined : {waitMs: options.waitMs},
						wireTap: options.verbose,
						protocol: options.protocol,
						stallTimeoutMs: options.stallTimeoutMs,
						warn(message) {
							console.error(`virtagent monitor: ${message}`);
						},
					});
	} catch (error) {
		console.error(`virtagent monitor: ${(error as Error).message}`);
		return 1;
	}

	try {
		if (interactive) {
			// Only now: scripted mode must never load Ink (it would want raw mode on stdin).
			const {runInteractive} = await import('./ui/interactive.js');
			const logFile = options.logFile;
			const stopLogging = logFile === undefined ? undefined : session.subscribe(logOutcomes(logFile));
			try {
				return await runInteractive(session, {plain: options.plain, ...(options.historyFile === undefined ? {} : {historyFile: options.historyFile})});
			} finally {
				stopLogging?.();
			}
		}

		const source = options.commands === undefined ? createInterface({input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY}) : [options.commands];
		return await runScript(session, source, {
			json: options.json,
			stopOnError: options.stopOnError,
			timing: options.timing,
			verbose: options.verbose,
			logFile: options.logFile,
			waitMs: options.waitMs,
			timeoutMs: options.timeoutMs,
			// Like cat: a file that ends with a newline gets no blank line after it.
			stdout: text => {
				process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
			},
			stderr: text => {
				process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
			},
			// A progress line rewritten in place, only where someone watches it (never in --json).
			...(process.stderr.isTTY && !options.json ? {progress: (text: string) => process.stderr.write(`\r${text}\u001B[K`)} : {}),
		});
	} finally {
		await session.close();
	}
}
