/**
 * What a monitor command is (one file each in commands/, listed in commands/index.ts): its
 * name, its typed arguments, its help, how it calls the guest and how it prints. `help`, the
 * usage in `--help` and Tab completion are all derived from the declared arguments; the session
 * parses a line against them and turns whatever the command throws into a QMP-shaped error.
 */
import type {Peer, Rpc} from '../rpc/catalogue.js';
import type {WireValue} from '../wire/types.js';
import type {GuestProtocol} from './qga/protocol-switch.js';
import type {FleetControl} from './fleet-api.js';
import type {ArgSpec} from './parse-args.js';
import type {QueueModel} from './queue-model.js';
import type {SessionStatus} from './session-api.js';

export type CommandContext = {
	/**
	 * Call a guest RPC from the catalogue through the capability gate (docs/PROTOCOL.md §5), with
	 * this command's timeout; the result has passed the entry's guard. Throws VirtagentError or
	 * RpcFaultError.
	 */
	call<P extends readonly unknown[], R>(rpc: Rpc<P, R, readonly Peer[]>, params: P): Promise<R>;
	/** Call without the gate (agent_capabilities is how an operator opens it). */
	callUngated<P extends readonly unknown[], R>(rpc: Rpc<P, R, readonly Peer[]>, params: P): Promise<R>;
	/**
	 * Call any guest method by name with JSON-like params (qemu-ga's commands take one object),
	 * through the gate unless `gated: false`. Throws like `call`; a qemu-ga command that sends no
	 * reply on success resolves with a NoReplyResult.
	 */
	callMethod(method: string, params: readonly WireValue[], options?: {readonly gated?: boolean}): Promise<WireValue>;
	/**
	 * What the guest speaks: returned at once when known (so the command's call is queued in line
	 * order); with `--protocol auto` before the probe has answered, a wait (scripted) or the gate's error.
	 */
	protocol(): GuestProtocol | Promise<GuestProtocol>;
	/** A qemu-ga file handle the command could not close: the session closes it on the next connection. */
	leftoverHandle(handle: number): void;
	/** Remember the guest's methods (opens the gate); qemu-ga's disabled commands too, for the gate's message. */
	storeMethods(methods: readonly string[], disabled?: readonly string[]): void;
	readonly status: SessionStatus;
	readonly model: QueueModel;
	readonly commands: readonly Command[];
	readonly now: number;
	/** This command's deadline (each call's; also what a no-reply request waits in silence). */
	readonly timeoutMs: number;
	/** Ask the runner to stop after this command. */
	quit(): void;
	/** Cancel a queued or in-flight client job; false when there is none with that id. */
	cancel(jobId: number): boolean;
	/** Report progress of a long command (one terminal-safe line; '' when done). */
	progress?(text: string): void;
	/** Run another command line with its own deadline instead of the session's (`timeout`). */
	runWithTimeout(line: string, timeoutMs: number): Promise<CommandResult>;
	/** The fleet, when the monitor holds several guests (`guests`, `use`); absent otherwise. */
	readonly fleet?: FleetControl;
};

export type CommandResult = {
	/** The `return` of the JSON line. */
	readonly value: unknown;
	/** What the operator sees; terminal-safe (guest data escaped). */
	readonly text: string;
};

/** What Tab offers for an argument beyond its choices (`guest command`: qemu-ga's enabled commands). */
export type Completes = 'command' | 'command line' | 'guest command';

/** One declared argument; `T` is what `run` receives for it. */
export type Arg<T> = ArgSpec & {
	/** How `help` shows it: `filepath`, `[command]`, `halt|powerdown|reboot`. */
	readonly usage: string;
	readonly completes?: Completes;
	/** Type only: never set. */
	readonly value?: T;
};

type ArgOptions = {
	/** Shown by `help` instead of the name (`N` for `count`). */
	readonly label?: string;
	readonly completes?: Completes;
};

function declare<T>(spec: ArgSpec, options: ArgOptions = {}): Arg<T> {
	const shown = options.label ?? (spec.choices ? spec.choices.join('|') : spec.name);
	return {...spec, usage: spec.optional ? `[${shown}]` : shown, ...(options.completes ? {completes: options.completes} : {})};
}

/** A word (or a quoted string) the command needs. */
export function text(name: string, options?: ArgOptions): Arg<string> {
	return declare({name}, options);
}

export function optionalText(name: string, options?: ArgOptions): Arg<string | undefined> {
	return declare({name, optional: true}, options);
}

/** One of `choices` (checked before the command runs, and offered by Tab). */
export function oneOf<const C extends readonly string[]>(name: string, choices: C): Arg<C[number]> {
	return declare({name, choices});
}

export function optionalOneOf<const C extends readonly string[]>(name: string, choices: C): Arg<C[number] | undefined> {
	return declare({name, optional: true, choices});
}

/** The rest of the line as typed (a command line, for `timeout`); must come last. */
export function restOfLine(name: string, options?: ArgOptions): Arg<string> {
	return declare({name, rest: true}, options);
}

/** The rest of the line if there is any (qga's JSON arguments); must come last. */
export function optionalRestOfLine(name: string, options?: ArgOptions): Arg<string | undefined> {
	return declare({name, rest: true, optional: true}, options);
}

type Values<A extends readonly Arg<unknown>[]> = {readonly [I in keyof A]: A[I] extends Arg<infer T> ? T : never};

export type Command = {
	readonly name: string;
	/** Other names that run it (`?` for help, `q` and `exit` for quit); not completed or listed as commands. */
	readonly aliases?: readonly string[];
	readonly args: readonly Arg<unknown>[];
	/** The arguments as `help` shows them (derived from `args`), e.g. `filepath` or `[command]`. */
	readonly params: string;
	readonly help: string;
	/** `args` as parsed against the declaration (missing optional ones are undefined). */
	run(context: CommandContext, args: ReadonlyArray<string | undefined>): Promise<CommandResult>;
};

export type CommandSpec<A extends readonly Arg<unknown>[]> = {
	readonly name: string;
	readonly aliases?: readonly string[];
	readonly args: A;
	readonly help: string;
	run(context: CommandContext, args: Values<A>): Promise<CommandResult>;
};

/** A command from its declaration: `run` gets its arguments typed as declared. */
export function defineCommand<const A extends readonly Arg<unknown>[]>(spec: CommandSpec<A>): Command {
	return {
		name: spec.name,
		...(spec.aliases ? {aliases: spec.aliases} : {}),
		args: spec.args,
		params: spec.args.map(arg => arg.usage).join(' '),
		help: spec.help,
		// The parser has checked the line against `args`: required ones are there, choices valid.
		run: async (context, args) => spec.run(context, args as unknown as Values<A>),
	};
}

/** `name params`, as `help` and `--help` show a command. */
export function usage(command: Command): string {
	return command.params === '' ? command.name : `${command.name} ${command.params}`;
}
