import type {FleetTransition} from './fleet.js';
import type {GuestRow} from './guest-rows.js';

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
