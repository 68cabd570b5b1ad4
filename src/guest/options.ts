import {defaultFrameLimits} from '../protocol/limits.js';
import {parseTcpAddress} from '../transport/endpoint.js';
import {defaultBaud} from '../transport/tty.js';
import {splitCommandLine} from './argv-template.js';
import {guestMethodNames} from './rpcs/index.js';
import {defaultShutdownCommand} from './rpcs/shutdown.js';

export const channelKinds = ['virtio-serial', 'isa-serial', 'unix-connect', 'unix-listen', 'tcp-connect', 'tcp-listen'] as const;
export type ChannelKind = (typeof channelKinds)[number];

export const defaultPortPath = '/dev/virtio-ports/org.qemu.virtagent';
const defaultTtyPath = '/dev/ttyS0';

export type GuestConfig = {
	readonly channel: ChannelKind;
	readonly path: string;
	/** isa-serial only. */
	readonly baud: number;
	/** Methods left enabled (all when undefined), then minus the blocked ones. */
	readonly allowRpcs: readonly string[] | undefined;
	readonly blockRpcs: readonly string[];
	/** Cap of va.getfile below what the body limit allows. */
	readonly getfileMax: number | undefined;
	readonly bodyMax: number;
	readonly shutdownCommand: readonly string[];
	readonly shutdownDelayMs: number;
	/** PROTOCOL.md §2: a started header or a silent body is dropped after this. */
	readonly stallTimeoutMs: number;
	readonly dmesgCommand: readonly string[] | undefined;
	readonly pidfile: string | undefined;
	readonly verbose: boolean;
};

export type ParsedArgs = {readonly kind: 'run'; readonly config: GuestConfig} | {readonly kind: 'help'} | {readonly kind: 'version'};

/** A bad command line: one line naming the option; exit code 2. */
export class UsageError extends Error {
	override readonly name = 'UsageError';
}

export const guestUsage = `usage: virtagent guest [options]

The guest daemon: serves va.* RPCs to the host over one stream and says va.hello whenever
the host (re)appears.

options:
  --channel KIND          virtio-serial (default), isa-serial, unix-connect, unix-listen,
                          tcp-connect or tcp-listen
  --path PATH             the port or tty (default ${defaultPortPath};
                          ${defaultTtyPath} for isa-serial), a socket path, or HOST:PORT for tcp
  --baud N                isa-serial speed (default ${defaultBaud})
  --allow-rpcs LIST       comma-separated methods to serve; the others answer fault -508
  --block-rpcs LIST       comma-separated methods to refuse (fault -508, not in va.capabilities)
  --getfile-max BYTES     largest file va.getfile sends (default: what fits a 2 MiB reply)
  --shutdown-command CMD  run for va.shutdown, as argv (no shell); {flag} is -H, -P or -r,
                          {mode} is halt, powerdown or reboot
                          (default: shutdown {flag} +0 "hypervisor initiated shutdown")
  --shutdown-delay SECS   wait after the reply before running it (default 5)
  --stall-timeout SECS    drop a message from the host whose header is not complete, or
                          whose body gets no byte, within this (default 10)
  --dmesg-command CMD     read the kernel log with this command instead of /dev/kmsg or dmesg
  --pidfile PATH          create PATH exclusively with our pid; removed on exit
  --verbose, -v           also log state transitions, jobs and retries (debug level)
  --version, -V           print the version
  --help, -h              this text

methods: ${guestMethodNames.join(', ')}`;

/** Options that take a value; each may be given once. */
export const valueOptions = [
	'channel',
	'path',
	'baud',
	'allow-rpcs',
	'block-rpcs',
	'getfile-max',
	'shutdown-command',
	'shutdown-delay',
	'stall-timeout',
	'dmesg-command',
	'pidfile',
] as const;
type ValueOption = (typeof valueOptions)[number];

/** Short forms of the flags (the value options have none). */
const shortFlags: Readonly<Record<string, string>> = {v: 'verbose', V: 'version', h: 'help'};

type Token =
	| {readonly kind: 'positional'; readonly value: string}
	| {readonly kind: 'option-terminator'}
	| {readonly kind: 'option'; readonly name: string; readonly rawName: string; readonly value: string | undefined};

/**
 * The arguments as tokens, in order, read the way node:util parseArgs reads them with
 * `strict: false` (`--name value` and `--name=value` for a value option, even when the value
 * starts with a dash; `-vh` is `-v -h`; a lone `-` is positional; `--` ends the options). Not
 * parseArgs itself: loading and compiling it was ~3M instructions of the daemon's start-up under
 * emulation (docs/guest.md), more than the rest of this file.
 */
export function argTokens(args: readonly string[]): Token[] {
	const tokens: Token[] = [];
	for (let index = 0; index < args.length; index++) {
		const arg = args[index]!;
		if (arg === '--') {
			tokens.push({kind: 'option-terminator'});
			for (const rest of args.slice(index + 1)) {
				tokens.push({kind: 'positional', value: rest});
			}

			break;
		}

		if (arg.length > 2 && arg.startsWith('--')) {
			// `--name=value` when there is a '=' past the first character of the name.
			if (arg.includes('=', 3)) {
				const equals = arg.indexOf('=');
				tokens.push({kind: 'option', name: arg.slice(2, equals), rawName: arg.slice(0, equals), value: arg.slice(equals + 1)});
				continue;
			}

			const name = arg.slice(2);
			const takesValue = isValueOption(name) && index + 1 < args.length;
			tokens.push({kind: 'option', name, rawName: arg, value: takesValue ? args[++index] : undefined});
			continue;
		}

		if (arg.length >= 2 && arg.startsWith('-') && arg[1] !== '-') {
			// No short form takes a value: `-vh` is `-v -h`, letter by letter (UTF-16 units, as node's).
			// A '-' in the group makes `--`, which ends the options there, as in node's.
			const letters = [...arg.slice(1)].flatMap(unit => unit.split(''));
			const dash = letters.indexOf('-', 1);
			for (const letter of dash < 0 ? letters : letters.slice(0, dash)) {
				tokens.push({kind: 'option', name: shortFlags[letter] ?? letter, rawName: `-${letter}`, value: undefined});
			}

			if (dash >= 0) {
				tokens.push({kind: 'option-terminator'});
				for (const rest of [...letters.slice(dash + 1).map(letter => `-${letter}`), ...args.slice(index + 1)]) {
					tokens.push({kind: 'positional', value: rest});
				}

				break;
			}

			continue;
		}

		tokens.push({kind: 'positional', value: arg});
	}

	return tokens;
}

function isValueOption(name: string): name is ValueOption {
	return (valueOptions as readonly string[]).includes(name);
}

function methodList(option: string, text: string): string[] {
	const names = text
		.split(',')
		.map(name => name.trim())
		.filter(name => name !== '');
	for (const name of names) {
		if (!(guestMethodNames as readonly string[]).includes(name)) {
			throw new UsageError(`${option}: unknown method '${name}' (known: ${guestMethodNames.join(', ')})`);
		}
	}

	return names;
}

/**
 * Whether text is digits, then optionally '.' and digits (with `fraction`): a loop, not a pattern.
 * Numbers are parsed before the hello, and under emulation compiling a pattern there (V8 compiles
 * one at its first runs) was ~9k distinct instructions of new code (docs/guest.md, boot-to-hello).
 */
function isDecimal(text: string, fraction: boolean): boolean {
	let digits = 0;
	let point = -1;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code >= 0x30 && code <= 0x39) {
			digits++;
		} else if (code === 0x2e && fraction && point === -1 && digits > 0) {
			point = i;
		} else {
			return false;
		}
	}

	return digits > 0 && point !== text.length - 1;
}

function integer(option: string, text: string, min: number, max: number): number {
	const value = isDecimal(text, false) ? Number(text) : Number.NaN;
	if (!Number.isSafeInteger(value) || value < min || value > max) {
		throw new UsageError(`${option}: expected an integer from ${min} to ${max}, got '${text}'`);
	}

	return value;
}

function seconds(option: string, text: string): number {
	const value = isDecimal(text, true) ? Number(text) : Number.NaN;
	if (!Number.isFinite(value) || value > 86_400) {
		throw new UsageError(`${option}: expected seconds from 0 to 86400, got '${text}'`);
	}

	return Math.round(value * 1000);
}

function command(option: string, text: string): string[] {
	try {
		return splitCommandLine(text);
	} catch (error) {
		throw new UsageError(`${option}: ${(error as Error).message}`);
	}
}

/** `virtagent guest` arguments → what to do. Throws UsageError on any mistake. */
export function parseGuestArgs(args: readonly string[]): ParsedArgs {
	// Tokens in order, so that each mistake gets its own one-line message.
	const tokens = argTokens(args);
	const values = new Map<ValueOption, string>();
	let verbose = false;
	for (const token of tokens) {
		if (token.kind === 'positional') {
			throw new UsageError(`unexpected argument '${token.value}'`);
		}

		if (token.kind === 'option-terminator') {
			throw new UsageError("unknown option '--'");
		}

		if (token.name === 'help') {
			return {kind: 'help'};
		}

		if (token.name === 'version') {
			return {kind: 'version'};
		}

		if (token.name === 'verbose') {
			verbose = true;
			continue;
		}

		const {name, rawName, value} = token;
		if (!isValueOption(name)) {
			throw new UsageError(`unknown option '${rawName}'`);
		}

		if (value === undefined) {
			throw new UsageError(`--${name}: missing value`);
		}

		if (values.has(name)) {
			throw new UsageError(`--${name}: given twice`);
		}

		values.set(name, value);
	}

	const channelText = values.get('channel') ?? 'virtio-serial';
	if (!(channelKinds as readonly string[]).includes(channelText)) {
		throw new UsageError(`--channel: unknown channel '${channelText}' (expected ${channelKinds.join(', ')})`);
	}

	const channel = channelText as ChannelKind;
	const defaultPath = channel === 'virtio-serial' ? defaultPortPath : channel === 'isa-serial' ? defaultTtyPath : undefined;
	const channelPath = values.get('path') ?? defaultPath;
	if (channelPath === undefined || channelPath === '') {
		throw new UsageError(`--path: required with --channel ${channel}`);
	}

	if (channel.startsWith('tcp-')) {
		try {
			parseTcpAddress(channelPath);
		} catch (error) {
			throw new UsageError(`--path: ${(error as Error).message}`);
		}
	}

	if (values.has('baud') && channel !== 'isa-serial') {
		throw new UsageError('--baud: only for --channel isa-serial');
	}

	const bodyMax = defaultFrameLimits.bodyMax;
	const getfileText = values.get('getfile-max');
	const shutdownText = values.get('shutdown-command');
	const dmesgText = values.get('dmesg-command');
	const allowText = values.get('allow-rpcs');
	const pidfile = values.get('pidfile');
	if (pidfile === '') {
		throw new UsageError('--pidfile: empty path');
	}

	return {
		kind: 'run',
		config: {
			channel,
			path: channelPath,
			baud: values.has('baud') ? integer('--baud', values.get('baud')!, 50, 4_000_000) : defaultBaud,
			allowRpcs: allowText === undefined ? undefined : methodList('--allow-rpcs', allowText),
			blockRpcs: methodList('--block-rpcs', values.get('block-rpcs') ?? ''),
			getfileMax: getfileText === undefined ? undefined : integer('--getfile-max', getfileText, 0, bodyMax),
			bodyMax,
			shutdownCommand: shutdownText === undefined ? defaultShutdownCommand : command('--shutdown-command', shutdownText),
			shutdownDelayMs: values.has('shutdown-delay') ? seconds('--shutdown-delay', values.get('shutdown-delay')!) : 5000,
			stallTimeoutMs: values.has('stall-timeout') ? Math.max(1, seconds('--stall-timeout', values.get('stall-timeout')!)) : defaultFrameLimits.headerStallMs,
			dmesgCommand: dmesgText === undefined ? undefined : command('--dmesg-command', dmesgText),
			pidfile,
			verbose,
		},
	};
}
