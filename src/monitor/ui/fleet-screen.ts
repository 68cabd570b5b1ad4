/** The screen's fleet parts that are not the table: the prompt with the target, the log lines naming their guest. */
import type {FleetTransition} from '../fleet/fleet.js';
import type {TransitionEntry} from '../queue-model.js';

/** `(virtagent web1) `: the guest bare commands go to (names are safe already). */
export function targetPrompt(target: string): string {
	return `(virtagent ${target}) `;
}

/** A fleet log line as the transition log draws it: the guest's name first, a key unique across guests. */
export function fleetLogEntry({guest, entry, seq}: FleetTransition): TransitionEntry {
	return {seq, at: entry.at, kind: entry.kind, event: entry.event, text: `${guest} ${entry.text}`};
}
