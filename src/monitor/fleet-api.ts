/**
 * What the rest of the monitor sees of a fleet (docs: README "Many guests"): the commands'
 * FleetControl and the screen's FleetView, and the rows and log entries they hand out. Plain
 * types beside session-api.ts, so that commands and the session's API never import the fleet
 * itself (the fleet imports them).
 */
import type {TransitionEntry} from './queue-model.js';
import type {ConnectionState} from './connection-state.js';

export type GuestRow = {
	readonly name: string;
	/** What the stream speaks once known (`qga`, `virtagent`), else what was asked for (`auto`…). */
	readonly protocol: string;
	readonly channel: string;
	readonly connection: ConnectionState;
	/** When the guest became usable: connected and negotiated (ms since epoch). */
	readonly readySince: number | undefined;
	readonly queue: number;
	readonly queueLimit: number;
	readonly lastRoundTripMs: number | undefined;
	readonly failures: number;
};

export type FleetTransition = {readonly guest: string; readonly entry: TransitionEntry; /** 1, 2, 3… across the fleet. */ readonly seq: number};

/** What the fleet's own commands (`guests`, `use`) see of it, through their CommandContext. */
export type FleetControl = {
	/** One row per guest, in the fleet's order. */
	rows(): readonly GuestRow[];
	/** The current target (`use NAME`), if any. */
	readonly target: string | undefined;
	/** Make `name` the target; throws when no guest has that name. */
	use(name: string): void;
};

/** What the screen draws of a fleet: the table, which row is focused, and the log across guests. */
export type FleetView = {
	/** One row per guest, in the fleet's order. */
	rows(): readonly GuestRow[];
	/** The guest whose panels are shown. */
	readonly focusName: string | undefined;
	/** `use NAME`, shown in the prompt. */
	readonly targetName: string | undefined;
	/** The live log across guests (state and channel changes, failed jobs), newest `count`, oldest first. */
	liveTransitions(count: number): readonly FleetTransition[];
};
