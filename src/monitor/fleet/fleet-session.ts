/**
 * The shell over a fleet: the MonitorSession the screen, the plain mode and the scripted runner
 * drive, over many guests' Sessions. A line runs on the target guest (`use NAME`, `--guest`, or
 * the only guest), on those `@TARGET` names (`@web1`, `@all`, `@web*`), or on the fleet itself
 * (`guests`, `use`, `help`, `quit`, `info transitions [NAME]`). The status and queues shown are
 * the focused guest's: the target, else the first guest.
 */
import {VirtagentError} from '../../engine/errors.js';
import type {Command, CommandContext, CommandResult} from '../command.js';
import {commandError} from '../command-error.js';
import {CommandSet} from '../command-set.js';
import {parseArguments, splitCommand} from '../parse-args.js';
import {initialQueueModel, isFailure, type QueueModel} from '../queue-model.js';
import {awaitGuest, type GuestWait} from '../script-connect.js';
import {
	timedExecute,
	type ClientQueueView,
	type CommandOutcome,
	type MonitorSession,
	type SessionEvent,
	type SessionStatus,
	type UntimedOutcome,
} from '../session-api.js';
import type {FleetControl, FleetView} from '../fleet-api.js';
import {fanOut} from './fan-out.js';
import type {Fleet, FleetGuest, FleetTransition} from './fleet.js';
import {fleetTransitions} from './fleet-transitions.js';
import {guestRow, type GuestRow} from './guest-rows.js';
import {Listeners} from './listeners.js';
import {addressFailure, failure, isPattern, matchGuests, noMatch, splitTarget} from './targets.js';

export type FleetSessionOptions = {
	/** The guests' commands (commands/index.ts) and the fleet's own (`guests`, `use`). */
	readonly commands: readonly Command[];
	readonly fleetCommands: readonly Command[];
	/** `--guest NAME`: the target from the start. */
	readonly target?: string;
	/**
	 * Scripted mode: before its first line, a guest is waited for (script-connect.ts); one that
	 * cannot be reached fails its lines, named, and the others go on.
	 */
	readonly guestWait?: GuestWait;
	/** Interactive: each guest's result of a fan-out is a `part` event as it arrives; the outcome then holds the summary alone. */
	readonly streamParts?: boolean;
};

/** An outcome before it is timed. */
type Untimed = UntimedOutcome;

/** Lines the fleet answers itself, whatever the target. */
const fleetLevel: ReadonlySet<string> = new Set(['help', '?', 'quit', 'q', 'exit']);

const noGuestStatus: SessionStatus = {
	channel: 'no guests',
	connection: {state: 'disconnected', reason: 'no guests yet'},
	guest: {helloAt: undefined, version: undefined, methods: undefined},
};

export class FleetSession implements MonitorSession, FleetView {
	readonly fleet: Fleet;
	readonly #options: FleetSessionOptions;
	readonly #commands: CommandSet;
	readonly #fleetNames: ReadonlySet<string>;
	readonly #listeners = new Listeners<SessionEvent>();
	readonly #ready = new WeakMap<FleetGuest['session'], Promise<Error | undefined>>();
	readonly #emptyModel = initialQueueModel();
	readonly #unsubscribe: () => void;
	readonly #closers: Array<() => void> = [];
	#target: string | undefined;
	#quitRequested = false;

	constructor(fleet: Fleet, options: FleetSessionOptions) {
		this.fleet = fleet;
		this.#options = options;
		this.#commands = new CommandSet([...options.commands, ...options.fleetCommands]);
		this.#fleetNames = new Set([...fleetLevel, ...options.fleetCommands.flatMap(command => [command.name, ...(command.aliases ?? [])])]);
		this.#target = options.target;
		this.#unsubscribe = fleet.subscribe(event => {
			if (event.type === 'guest' && event.name === this.focus?.name) {
				// The focused guest's events as they are: its status line, panels and log.
				this.#emit(event.event);
			} else if (event.type === 'warning') {
				this.#emit({type: 'log', level: 'warn', message: event.message, at: event.at});
			} else {
				// Any other guest's change redraws the fleet table; a guest coming or going may move the focus.
				this.#emit({type: 'fleet'});
				if (event.type !== 'guest') {
					this.#emit({type: 'status', status: this.status});
				}
			}
		});
	}

	/** The guest lines go to: `use NAME` / `--guest`, or the only guest. */
	get target(): FleetGuest | undefined {
		if (this.#target !== undefined) {
			return this.fleet.get(this.#target);
		}

		return this.fleet.size === 1 ? this.fleet.guests[0] : undefined;
	}

	/** The guest the screen shows: the target, else the first. */
	get focus(): FleetGuest | undefined {
		return this.target ?? this.fleet.guests[0];
	}

	/** `use NAME` as the prompt shows it; undefined without a target. */
	get targetName(): string | undefined {
		return this.#target;
	}

	get fleetView(): FleetView {
		return this;
	}

	get focusName(): string | undefined {
		return this.focus?.name;
	}

	rows(): readonly GuestRow[] {
		return this.fleet.guests.map(guest => guestRow(guest));
	}

	liveTransitions(count: number): readonly FleetTransition[] {
		// As the one-guest screen's log (screen-model.ts liveLog): the other job moves are in the panels.
		return this.fleet.transitions(count, undefined, ({entry}) => entry.kind !== 'job' || isFailure(entry));
	}

	get status(): SessionStatus {
		return this.focus?.session.status ?? noGuestStatus;
	}

	get model(): QueueModel {
		return this.focus?.session.model ?? this.#emptyModel;
	}

	get clientQueue(): ClientQueueView {
		return this.focus?.session.clientQueue ?? {active: 0, limit: this.#emptyModel.client.limit};
	}

	get quitRequested(): boolean {
		return this.#quitRequested;
	}

	get commandNames(): readonly string[] {
		return this.#commands.names;
	}

	subscribe(listener: (event: SessionEvent) => void): () => void {
		return this.#listeners.add(listener);
	}

	async execute(line: string): Promise<CommandOutcome> {
		return timedExecute(
			line,
			async text => this.#run(text),
			event => {
				this.#emit(event);
			},
		);
	}

	complete(line: string): readonly string[] {
		const words = line.trimStart().split(/\s+/u);
		const names = this.fleet.guests.map(guest => guest.name);
		if (words.length === 1 && words[0]!.startsWith('@')) {
			return ['@all', ...names.map(name => `@${name}`)].filter(candidate => candidate.startsWith(words[0]!));
		}

		if (words[0]!.startsWith('@')) {
			return this.#commands.complete(words.slice(1).join(' '));
		}

		if ((words.length === 2 && words[0] === 'use') || (words.length === 3 && words[0] === 'info' && words[1] === 'transitions')) {
			return names.filter(name => name.startsWith(words.at(-1)!));
		}

		return this.#commands.complete(line);
	}

	/** Stop `close` with the session (a discovery watcher). */
	own(close: () => void): void {
		this.#closers.push(close);
	}

	async close(): Promise<void> {
		for (const close of this.#closers.splice(0)) {
			close();
		}

		this.#unsubscribe();
		await this.fleet.close();
	}

	async #run(line: string): Promise<Untimed> {
		const addressed = splitTarget(line);
		if (addressed) {
			return this.#runAddressed(addressed.target, addressed.line);
		}

		const {name, rest} = splitCommand(line);
		if (name === '') {
			return {ok: true, command: '', value: null, text: ''};
		}

		if (this.#fleetNames.has(name) || (name === 'info' && splitCommand(rest).name === 'transitions')) {
			return this.#runHere(line, name);
		}

		const target = this.target;
		if (!target) {
			return failure(
				name,
				this.#target === undefined
					? `${this.fleet.size === 0 ? 'no guests yet' : `${this.fleet.size} guests`}: say which with use NAME, or run it with @NAME, @all or @GLOB`
					: `the guest ${this.#target} is gone (guests lists them; use NAME chooses another)`,
			);
		}

		return {...(await this.#runOn(target, line)), guest: target.name};
	}

	async #runAddressed(target: string, line: string): Promise<Untimed> {
		const refused = addressFailure(target, splitCommand(line).name, this.fleet.guests);
		if (refused) {
			return refused;
		}

		const guests = matchGuests(this.fleet.guests, target);
		if (!isPattern(target)) {
			return {...(await this.#runOn(guests[0]!, line)), guest: guests[0]!.name};
		}

		const byName = new Map(guests.map(guest => [guest.name, guest]));
		const outcome = await fanOut(
			guests.map(guest => guest.name),
			line,
			async name => this.#runOn(byName.get(name)!, line),
			part => {
				if (this.#options.streamParts) {
					this.#emit({type: 'part', outcome: part});
				}
			},
		);
		return this.#options.streamParts ? {...outcome, text: outcome.fanOut!.summary} : outcome;
	}

	/** One guest's line, after its first contact in scripted mode. */
	async #runOn(guest: FleetGuest, line: string): Promise<CommandOutcome> {
		const {guestWait} = this.#options;
		if (guestWait !== undefined && !localLine(line)) {
			let ready = this.#ready.get(guest.session);
			if (!ready) {
				ready = awaitGuest(guest.session, guestWait).then(
					() => undefined,
					(error: unknown) => error as Error,
				);
				this.#ready.set(guest.session, ready);
			}

			const unreachable = await ready;
			if (unreachable) {
				const {error, text} = commandError(unreachable);
				return {ok: false, command: splitCommand(line).name, error, text, ms: 0};
			}
		}

		return guest.session.execute(line);
	}

	/** `guests`, `use`, `help`, `quit` and the fleet's transition log. */
	async #runHere(line: string, name: string): Promise<Untimed> {
		try {
			const result = name === 'info' ? this.#infoTransitions(line) : await this.#commands.run(line, this.#context());
			return {ok: true, command: name, value: result.value, text: result.text};
		} catch (error) {
			const {error: shaped, text} = commandError(error);
			return {ok: false, command: name, error: shaped, text};
		}
	}

	#infoTransitions(line: string): CommandResult {
		const [, pattern, count] = parseArguments('info', splitCommand(line).rest, [
			{name: 'topic'},
			{name: 'guest', optional: true},
			{name: 'count', optional: true},
		]);
		// `info transitions 50`: a number alone is a count.
		const numeric = pattern !== undefined && count === undefined && /^\d+$/u.test(pattern);
		const target = numeric ? undefined : pattern;
		if (target !== undefined && target !== 'all' && matchGuests(this.fleet.guests, target).length === 0) {
			throw new Error(noMatch(target, this.fleet.guests));
		}

		return fleetTransitions(this.fleet, target, numeric ? pattern : count);
	}

	#context(): CommandContext {
		const notHere = () => {
			throw new VirtagentError('EINVAL', 'this runs on a guest: use NAME first, or @NAME COMMAND');
		};

		return {
			call: async () => notHere(),
			callUngated: async () => notHere(),
			callMethod: async () => notHere(),
			protocol: notHere,
			leftoverHandle() {},
			timeoutMs: 0,
			storeMethods() {},
			status: this.status,
			model: this.model,
			commands: this.#commands.commands,
			now: Date.now(),
			quit: () => {
				this.#quitRequested = true;
			},
			cancel: () => false,
			runWithTimeout: async () => notHere(),
			fleet: this.#control(),
		};
	}

	#control(): FleetControl {
		return {
			rows: () => this.rows(),
			target: this.#target,
			use: name => {
				if (this.fleet.get(name) === undefined) {
					throw new Error(noMatch(name, this.fleet.guests));
				}

				this.#target = name;
				this.#emit({type: 'fleet'});
				this.#emit({type: 'status', status: this.status});
			},
		};
	}

	#emit(event: SessionEvent): void {
		this.#listeners.emit(event);
	}
}

/** Lines that need no guest connected (they are answered by the guest's session locally). */
function localLine(line: string): boolean {
	return ['help', '?', 'info', 'cancel', 'quit', 'q', 'exit'].includes(splitCommand(line).name);
}
