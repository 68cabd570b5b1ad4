/**
 * The contract between the monitor's session (connection, negotiation, commands) and whatever
 * shows it: the Ink screen or the scripted line mode. The screen only draws these events.
 */
import type {EngineEvent} from '../engine/events.js';
import type {FleetView} from './fleet-api.js';
import type {GuestProtocol} from './qga/protocol-switch.js';
import type {ConnectionState} from './connection-state.js';
import type {QueueModel} from './queue-model.js';

export type {ConnectionState} from './connection-state.js';

export type GuestInfo = {
	/** When the guest last said va.hello (ms since epoch), if it has. */
	readonly helloAt: number | undefined;
	/** Protocol version from va.capabilities, if known. */
	readonly version: string | undefined;
	/** The guest's methods once negotiated; undefined until then (the capability gate). */
	readonly methods: readonly string[] | undefined;
	/** qemu-ga: the commands guest-info lists as disabled (for the gate's message). */
	readonly disabled?: readonly string[];
};

export type SessionStatus = {
	/** e.g. `unix:/tmp/va.sock` */
	readonly channel: string;
	/**
	 * What the guest speaks: fixed by `--protocol virtagent|qga`, found by the probe with `auto`
	 * (undefined until then, and again once that stream is gone).
	 */
	readonly protocol?: GuestProtocol;
	readonly connection: ConnectionState;
	readonly guest: GuestInfo;
};

/** QMP-shaped error (PROTOCOL.md §6). */
export type CommandError = {
	/** One of these, or (the `qga` command) the class qemu-ga gave. */
	readonly class: 'RPCFailed' | 'VirtagentFailed' | 'CommandNotFound' | 'InvalidParameter' | 'GenericError' | (string & {});
	readonly desc: string;
	readonly data?: {readonly code: number | string; readonly message: string};
};

/** Where a line ran, when the monitor holds several guests (src/monitor/fleet/). */
export type FleetFields = {
	/** The guest's name, when the line ran on one guest of a fleet. */
	readonly guest?: string;
	/** A line run on several guests (`@all …`): each guest's outcome (its text labelled), then the summary line. */
	readonly fanOut?: {readonly parts: readonly CommandOutcome[]; readonly summary: string};
};

/** What one command line produced. `text` is already safe for a terminal (guest data escaped). */
export type CommandOutcome = (
	| {readonly ok: true; readonly command: string; readonly value: unknown; readonly text: string; readonly ms: number}
	| {readonly ok: false; readonly command: string; readonly error: CommandError; readonly text: string; readonly ms: number}
) &
	FleetFields;

/** An outcome before its time is stamped on it. */
export type UntimedOutcome = CommandOutcome extends infer T ? (T extends unknown ? Omit<T, 'ms'> : never) : never;

/** Run one line (`run` never throws: it rejects), stamp how long it took, and hand the outcome to `emit` (a session's and a fleet's `execute`). */
export function timedExecute(line: string, run: (line: string) => Promise<UntimedOutcome>, emit: (event: SessionEvent) => void): Promise<CommandOutcome> {
	const started = performance.now();
	// Not async: an async layer costs ~600 instructions more than a `then` (callgrind), on every command line.
	return run(line).then(untimed => {
		const outcome = stamped(untimed, performance.now() - started);
		emit({type: 'outcome', line, outcome});
		return outcome;
	});
}

/**
 * The outcome with its time, built as a literal of a fixed shape: a spread or Object.assign
 * copies through V8's slow path (~0.7-1 µs per command line, measured), this does not.
 */
function stamped(untimed: UntimedOutcome, ms: number): CommandOutcome {
	const {command, text} = untimed;
	const outcome: CommandOutcome = untimed.ok ? {ok: true, command, value: untimed.value, text, ms} : {ok: false, command, error: untimed.error, text, ms};
	// A fleet's outcome (guest, fanOut) keeps every field it has: rarer, and never the hot path.
	return untimed.guest === undefined && untimed.fanOut === undefined ? outcome : (Object.assign({}, untimed, {ms}) as CommandOutcome);
}

export type SessionEvent =
	| EngineEvent
	| {readonly type: 'status'; readonly status: SessionStatus}
	| {readonly type: 'hello'; readonly at: number}
	/** A long command's progress (agent_getfile): one terminal-safe line; '' when it is over. */
	| {readonly type: 'progress'; readonly text: string}
	/** A command finished (interactive output goes to the scrollback from these). */
	| {readonly type: 'outcome'; readonly line: string; readonly outcome: CommandOutcome}
	/** One guest's result of a line run on several, as it arrives (terminal-safe, labelled with the guest). */
	| {readonly type: 'part'; readonly outcome: CommandOutcome}
	/** Something in the fleet changed (a guest came, went, or moved): the fleet table redraws. */
	| {readonly type: 'fleet'};

export type ClientQueueView = {readonly active: number; readonly limit: number};

export type MonitorSession = {
	readonly status: SessionStatus;
	/**
	 * The engine folded from every event since the session opened: a screen starts from it, so
	 * the hello and the negotiation that came before the screen are in its panels and log.
	 */
	readonly model: QueueModel;
	/** The client queue's active jobs and limit as the model shows them, without building a model (the backlog reads it at every job event). */
	readonly clientQueue: ClientQueueView;
	/** `quit` was run (`quit # bye` and `quit;` too): the screen exits when it sees it. */
	readonly quitRequested: boolean;
	subscribe(listener: (event: SessionEvent) => void): () => void;
	/** Run one command line (`agent_ping`, `help agent_viewfile`, …). Never rejects. */
	execute(line: string): Promise<CommandOutcome>;
	/** Tab completion: candidates for the word under the cursor at the end of `line`. */
	complete(line: string): readonly string[];
	/** Names and one-line help of every command, for the help screen. */
	readonly commandNames: readonly string[];
	/** `use NAME`: the guest bare lines run on, shown in the prompt (one guest or several). */
	readonly targetName?: string | undefined;
	/** With several guests (src/monitor/fleet/): what the screen's fleet table draws. */
	readonly fleetView?: FleetView;
	close(): Promise<void>;
};
