/**
 * What a monitor command is (one file each in commands/): its name, arguments, help text, how it
 * calls the guest and how it prints. The session parses the line, runs the command and turns
 * whatever it throws into a QMP-shaped error.
 */
import type {XmlRpcValue} from '../protocol/value.js';
import type {ArgSpec} from './parse-args.js';
import type {QueueModel} from './queue-model.js';
import type {SessionStatus} from './session-api.js';

export type CommandContext = {
	/**
	 * Call a guest method through the capability gate (PROTOCOL.md §5), with this command's
	 * timeout. Throws VirtagentError or RpcFaultError.
	 */
	call(method: string, params?: readonly XmlRpcValue[]): Promise<XmlRpcValue>;
	/** Call without the gate (agent_capabilities is how an operator opens it). */
	callUngated(method: string, params?: readonly XmlRpcValue[]): Promise<XmlRpcValue>;
	/** Remember the guest's methods (opens the gate). */
	storeMethods(methods: readonly string[]): void;
	readonly status: SessionStatus;
	readonly model: QueueModel;
	readonly commands: readonly Command[];
	readonly now: number;
	/** Ask the runner to stop after this command. */
	quit(): void;
	/** Cancel a queued or in-flight client job; false when there is none with that id. */
	cancel(jobId: number): boolean;
	/** Run another command line with its own deadline instead of the session's (`timeout`). */
	runWithTimeout(line: string, timeoutMs: number): Promise<CommandResult>;
};

export type CommandResult = {
	/** The `return` of the JSON line. */
	readonly value: unknown;
	/** What the operator sees; terminal-safe (guest data escaped). */
	readonly text: string;
};

export type Command = {
	readonly name: string;
	/** Other names that run it (`?` for help, `q` and `exit` for quit); not completed or listed as commands. */
	readonly aliases?: readonly string[];
	readonly args: readonly ArgSpec[];
	/** The arguments as `help` shows them, e.g. `filepath` or `halt|powerdown|reboot`. */
	readonly params: string;
	readonly help: string;
	run(context: CommandContext, args: ReadonlyArray<string | undefined>): Promise<CommandResult>;
};
