/**
 * The fleet: many guests, each its own Session (its own connection, back-off, engine, queues
 * and negotiation), opened by an injected opener and wrapped, never forked. The fleet names
 * them, forwards their events with the guest's name, and keeps one transition log across all
 * of them (bounded) so the screen and `info transitions NAME` can name the guest on each line.
 */
import type {FleetTransition} from '../fleet-api.js';
import type {SessionEvent} from '../session-api.js';
import type {Session} from '../session.js';
import {Listeners} from './listeners.js';
import {GuestNames, guestNameFor, safeName, type GuestSpec} from './guest-spec.js';

export type FleetGuest = {
	readonly name: string;
	readonly spec: GuestSpec;
	readonly session: Session;
	readonly addedAt: number;
};

/** One line of the fleet's transition log: which guest, and its own entry. */
export type {FleetTransition} from '../fleet-api.js';

export type FleetEvent =
	| {readonly type: 'added' | 'removed'; readonly name: string; readonly at: number}
	| {readonly type: 'warning'; readonly message: string; readonly at: number}
	| {readonly type: 'guest'; readonly name: string; readonly event: SessionEvent};

/** Opens (and starts) the session of one guest; `name` is the fleet's name for it. */
export type GuestOpener = (spec: GuestSpec, name: string) => Promise<Session>;

const byName = new Intl.Collator('en', {numeric: true});

/** Entries kept in the fleet's transition log, whatever the number of guests. */
export const fleetLogMax = 1000;

type Member = FleetGuest & {readonly unsubscribe: () => void; seen: number};

export class Fleet {
	readonly #open: GuestOpener;
	readonly #names = new GuestNames();
	readonly #members = new Map<string, Member>();
	readonly #listeners = new Listeners<FleetEvent>();
	/** Oldest first; trimmed to `fleetLogMax` in batches (amortised O(1) per entry). */
	#log: FleetTransition[] = [];
	#logged = 0;
	#closed = false;
	#sorted: FleetGuest[] | undefined;

	constructor(open: GuestOpener) {
		this.#open = open;
	}

	/** Guests by name, numbers in names in numeric order (vm2 before vm10); sorted when one comes or goes. */
	get guests(): readonly FleetGuest[] {
		this.#sorted ??= [...this.#members.values()].sort((a, b) => byName.compare(a.name, b.name));
		return this.#sorted;
	}

	get size(): number {
		return this.#members.size;
	}

	get(name: string): FleetGuest | undefined {
		return this.#members.get(name);
	}

	subscribe(listener: (event: FleetEvent) => void): () => void {
		return this.#listeners.add(listener);
	}

	/**
	 * Open a guest's session and add it; resolves with it, or undefined when it could not be
	 * opened (said as a warning: one guest never stops the others).
	 */
	async add(spec: GuestSpec): Promise<FleetGuest | undefined> {
		if (this.#closed) {
			return undefined;
		}

		const {name, warning} = this.#names.claim(spec.name === undefined ? guestNameFor(spec.target) : safeName(spec.name));
		if (warning !== undefined) {
			this.#warn(warning);
		}

		let session: Session;
		try {
			session = await this.#open(spec, name);
		} catch (error) {
			this.#names.release(name);
			this.#warn(`${name}: ${safeName((error as Error).message)}`);
			return undefined;
		}

		if (this.#closed) {
			await session.close();
			return undefined;
		}

		const member: Member = {
			name,
			spec,
			session,
			addedAt: Date.now(),
			seen: session.transitionCount,
			unsubscribe: session.subscribe(event => {
				this.#onGuestEvent(member, event);
			}),
		};
		this.#members.set(name, member);
		this.#sorted = undefined;
		this.#emit({type: 'added', name, at: member.addedAt});
		return member;
	}

	/** Close a guest's session and forget it (its jobs fail ENOTCONN as on any close). */
	async remove(name: string): Promise<void> {
		const member = this.#members.get(name);
		if (!member) {
			return;
		}

		this.#members.delete(name);
		this.#sorted = undefined;
		member.unsubscribe();
		this.#names.release(name);
		this.#emit({type: 'removed', name, at: Date.now()});
		await member.session.close();
	}

	/** The latest `count` transitions of the guests `include` accepts (all by default), oldest first. */
	transitions(
		count: number,
		include: (name: string) => boolean = () => true,
		shown: (item: FleetTransition) => boolean = () => true,
	): readonly FleetTransition[] {
		const found: FleetTransition[] = [];
		for (let index = this.#log.length - 1; index >= 0 && found.length < count; index--) {
			if (include(this.#log[index]!.guest) && shown(this.#log[index]!)) {
				found.push(this.#log[index]!);
			}
		}

		return found.reverse();
	}

	async close(): Promise<void> {
		this.#closed = true;
		await Promise.all([...this.#members.keys()].map(async name => this.remove(name)));
	}

	#onGuestEvent(member: Member, event: SessionEvent): void {
		const {session} = member;
		if (session.transitionCount > member.seen) {
			for (const entry of session.latestTransitions(session.transitionCount - member.seen)) {
				this.#log.push({guest: member.name, entry, seq: ++this.#logged});
			}

			member.seen = session.transitionCount;
			if (this.#log.length > 2 * fleetLogMax) {
				this.#log = this.#log.slice(-fleetLogMax);
			}
		}

		this.#emit({type: 'guest', name: member.name, event});
	}

	#warn(message: string): void {
		this.#emit({type: 'warning', message, at: Date.now()});
	}

	#emit(event: FleetEvent): void {
		this.#listeners.emit(event);
	}
}
