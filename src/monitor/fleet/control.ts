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
