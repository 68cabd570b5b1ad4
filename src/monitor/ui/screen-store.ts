/**
 * What the live region shows, as one immutable snapshot that React reads with
 * `useSyncExternalStore`: the session's status and queue model, the window's size and the
 * one-shot hint. A new snapshot is published only when the frame clock ticks (or the window
 * is resized), so a burst of engine events costs frames, not a render per event.
 */
import type {FleetTransition} from '../fleet/fleet.js';
import type {GuestRow} from '../fleet/guest-rows.js';
import type {QueueModel} from '../queue-model.js';
import type {MonitorSession, SessionStatus} from '../session-api.js';

/** With several guests: the table's rows, whose panels are shown, the target, the log across guests. */
export type FleetSnapshot = {
	readonly rows: readonly GuestRow[];
	readonly focus: string | undefined;
	readonly target: string | undefined;
	readonly log: readonly FleetTransition[];
};

export type ScreenSnapshot = {
	readonly status: SessionStatus;
	readonly model: QueueModel;
	readonly columns: number;
	readonly rows: number;
	readonly hint: string | undefined;
	/** The frame's clock for job ages; 0 while no job runs (idle panels then stay the same). */
	readonly now: number;
	readonly fleet?: FleetSnapshot;
	/** `use NAME`, for the prompt. */
	readonly target?: string;
};

export type WindowSize = {readonly columns: number; readonly rows: number};

export function isBusy(model: QueueModel): boolean {
	return model.client.jobs.length + model.server.jobs.length > 0;
}

export class ScreenStore {
	readonly #session: MonitorSession;
	readonly #size: () => WindowSize;
	readonly #listeners = new Set<() => void>();
	#hint: string | undefined;
	#snapshot: ScreenSnapshot;

	constructor(session: MonitorSession, size: () => WindowSize) {
		this.#session = session;
		this.#size = size;
		this.#snapshot = this.#take();
	}

	readonly subscribe = (listener: () => void): (() => void) => {
		this.#listeners.add(listener);
		return () => {
			this.#listeners.delete(listener);
		};
	};

	readonly getSnapshot = (): ScreenSnapshot => this.#snapshot;

	/** Shown from the next published snapshot on. */
	setHint(hint: string | undefined): void {
		this.#hint = hint;
	}

	/** Take the latest of everything and tell React. */
	publish(): void {
		this.#snapshot = this.#take();
		for (const listener of this.#listeners) {
			listener();
		}
	}

	#take(): ScreenSnapshot {
		const model = this.#session.model;
		const {columns, rows} = this.#size();
		const view = this.#session.fleetView;
		const target = this.#session.targetName;
		const fleet = view && {rows: view.rows(), focus: view.focusName, target: view.targetName, log: view.liveTransitions(Math.max(8, Math.floor(rows / 3)))};
		return {
			status: this.#session.status,
			model,
			columns,
			rows,
			hint: this.#hint,
			now: isBusy(model) ? Date.now() : 0,
			...(fleet ? {fleet} : {}),
			...(target === undefined ? {} : {target}),
		};
	}
}
