/**
 * One guest (`--connect PATH`, `--tcp`, `--listen`…) answers the fleet's words too, so that what an
 * operator types, and scripts written for a fleet, work on it: `guests` shows its one row, `use
 * NAME` of its name works (the prompt shows it), `@NAME`, `@all` and `@GLOB COMMAND` run on it.
 * The Session stays the one-guest Session (status, screen and output as they were): `guests` and
 * `use` run inside it through a one-row FleetControl, and `@` lines are unwrapped here.
 */
import type {Command} from '../command.js';
import type {FleetControl, GuestRow} from '../fleet-api.js';
import {splitCommand} from '../parse-args.js';
import type {ClientQueueView, CommandOutcome, MonitorSession, SessionEvent, SessionStatus} from '../session-api.js';
import type {Session} from '../session.js';
import {openSession, type SessionOptions} from '../open-session.js';
import type {QueueModel} from '../queue-model.js';
import {fanOut} from './fan-out.js';
import type {FleetGuest} from './fleet.js';
import {guestNameFor} from './guest-spec.js';
import {guestRow} from './guest-rows.js';
import {addressFailure, isPattern, noMatch, splitTarget} from './targets.js';

/** The fleet's control over a fleet of one: its row, and `use` of its own name. */
class OneGuestControl implements FleetControl {
	/** Set once the session is open (the session is made with this control in its context). */
	guest: FleetGuest | undefined;
	#target: string | undefined;

	get target(): string | undefined {
		return this.#target;
	}

	rows(): readonly GuestRow[] {
		return this.guest ? [guestRow(this.guest)] : [];
	}

	use(name: string): void {
		if (name !== this.guest?.name) {
			throw new Error(noMatch(name, this.guest ? [this.guest] : []));
		}

		this.#target = name;
	}
}

export class OneGuestSession implements MonitorSession {
	readonly session: Session;
	readonly #guest: FleetGuest;
	readonly #control: OneGuestControl;

	constructor(guest: FleetGuest, control: OneGuestControl) {
		this.session = guest.session;
		this.#guest = guest;
		this.#control = control;
	}

	/** `use NAME` as the prompt shows it. */
	get targetName(): string | undefined {
		return this.#control.target;
	}

	get status(): SessionStatus {
		return this.session.status;
	}

	get model(): QueueModel {
		return this.session.model;
	}

	get clientQueue(): ClientQueueView {
		return this.session.clientQueue;
	}

	get quitRequested(): boolean {
		return this.session.quitRequested;
	}

	get commandNames(): readonly string[] {
		return this.session.commandNames;
	}

	subscribe(listener: (event: SessionEvent) => void): () => void {
		return this.session.subscribe(listener);
	}

	async execute(line: string): Promise<CommandOutcome> {
		const addressed = splitTarget(line);
		if (!addressed) {
			return this.session.execute(line);
		}

		const started = performance.now();
		const {name} = this.#guest;
		const refused = addressFailure(addressed.target, splitCommand(addressed.line).name, [this.#guest]);
		if (refused) {
			return {...refused, ms: performance.now() - started};
		}

		return isPattern(addressed.target)
			? fanOut(
					[name],
					addressed.line,
					async () => this.session.execute(addressed.line),
					() => undefined,
				)
			: {...(await this.session.execute(addressed.line)), guest: name};
	}

	complete(line: string): readonly string[] {
		const words = line.trimStart().split(/\s+/u);
		const first = words[0]!;
		if (words.length === 1 && first.startsWith('@')) {
			return ['@all', `@${this.#guest.name}`].filter(candidate => candidate.startsWith(first));
		}

		if (first.startsWith('@')) {
			return this.session.complete(words.slice(1).join(' '));
		}

		if (words.length === 2 && first === 'use') {
			return [this.#guest.name].filter(name => name.startsWith(words[1]!));
		}

		return this.session.complete(line);
	}

	async close(): Promise<void> {
		await this.session.close();
	}
}

/** openSession for one guest, with the fleet's commands (`guests`, `use`) and `@` lines. */
export async function openOneGuest(options: SessionOptions, fleetCommands: readonly Command[]): Promise<OneGuestSession> {
	const control = new OneGuestControl();
	const session = await openSession({...options, commands: [...options.commands, ...fleetCommands], fleet: control});
	const guest: FleetGuest = {
		name: guestNameFor(options.target),
		spec: {name: undefined, target: options.target, ...(options.protocol === undefined ? {} : {protocol: options.protocol})},
		session,
		addedAt: Date.now(),
	};
	control.guest = guest;
	return new OneGuestSession(guest, control);
}
