/**
 * Every state machine of the job engine (docs/PROTOCOL.md §4) as a trigger-driven table: the
 * client machine, the server machine, and the statuses of client and server jobs. A table says,
 * for each state, where each trigger leads; a trigger missing from a state's row is illegal.
 * The engine never assigns a state itself: it fires a trigger and takes the table's answer, and
 * treats a refusal as a bug in itself (reported, then the engine resets).
 */
export type ClientState = 'IDLE' | 'SEND' | 'WAIT';
export type ServerState = 'IDLE' | 'WAIT' | 'SEND';
export type Side = 'client' | 'server';
export type EngineState = ClientState | ServerState;

/**
 * A client job: `held` = waiting for the peer's capacity (a request given up on still holds its
 * slot, §4); `cancelled` and `expired` are failures with a named cause.
 */
export type ClientJobStatus = 'queued' | 'held' | 'sending' | 'waiting' | 'done' | 'failed' | 'cancelled' | 'expired';
/** A server job: the handler runs, its answer is ready, being sent, then done (or failed: dropped). */
export type ServerJobStatus = 'running' | 'ready' | 'sending' | 'done' | 'failed';
export type JobStatus = ClientJobStatus | ServerJobStatus;

/**
 * send: a request starts going out · sent: it is written · settled: no request awaits an answer
 * any more (answered, given up on) · reset: channel lost, framing error, bug.
 */
export type ClientTrigger = 'send' | 'sent' | 'settled' | 'reset';
/** defer: an answer is ready but the send side is busy · send · sent · reset. */
export type ServerTrigger = 'defer' | 'send' | 'sent' | 'reset';
/** hold/send/sent move it along; succeed → done; fail, cancel, expire end it otherwise. */
export type ClientJobTrigger = 'hold' | 'send' | 'sent' | 'succeed' | 'fail' | 'cancel' | 'expire';
/** answer: the handler's answer is encoded and ready · send · sent · fail: dropped. */
export type ServerJobTrigger = 'answer' | 'send' | 'sent' | 'fail';

export type Table<S extends string, T extends string> = {readonly [From in S]: {readonly [Trigger in T]?: S}};

/**
 * Client: IDLE→SEND (a job goes out, send side free) · SEND→WAIT (written) · WAIT→IDLE (nothing
 * awaits an answer) · WAIT→SEND (another request, when the peer can hold more than one) ·
 * SEND|WAIT→IDLE on a reset.
 */
export const clientTable: Table<ClientState, ClientTrigger> = {
	IDLE: {send: 'SEND'},
	SEND: {sent: 'WAIT', reset: 'IDLE'},
	WAIT: {send: 'SEND', settled: 'IDLE', reset: 'IDLE'},
};

/**
 * Server: IDLE→WAIT (answer ready, send side busy with a client request) · IDLE|WAIT→SEND ·
 * SEND→IDLE (sent) · WAIT|SEND→IDLE on a reset.
 */
export const serverTable: Table<ServerState, ServerTrigger> = {
	IDLE: {defer: 'WAIT', send: 'SEND'},
	WAIT: {send: 'SEND', reset: 'IDLE'},
	SEND: {sent: 'IDLE', reset: 'IDLE'},
};

const ended = {fail: 'failed', cancel: 'cancelled', expire: 'expired'} as const;

export const clientJobTable: Table<ClientJobStatus, ClientJobTrigger> = {
	queued: {hold: 'held', send: 'sending', ...ended},
	held: {send: 'sending', ...ended},
	sending: {sent: 'waiting', ...ended},
	waiting: {succeed: 'done', ...ended},
	done: {},
	failed: {},
	cancelled: {},
	expired: {},
};

export const serverJobTable: Table<ServerJobStatus, ServerJobTrigger> = {
	running: {answer: 'ready', fail: 'failed'},
	ready: {send: 'sending', fail: 'failed'},
	sending: {sent: 'done', fail: 'failed'},
	done: {},
	failed: {},
};

/** How many recent moves a table remembers: a round trip makes the same three or four. */
const recentMoves = 8;

/**
 * A table as nested Maps, for the machines' hot path (several moves per message): the four
 * tables have four shapes and their rows more, so a plain look-up (`nextState`) in the engine
 * is a megamorphic property load (~200 instructions); a Map look-up of a constant string is a
 * third of that. The last few allowed moves are remembered in front of the Maps: the moves of
 * a round trip repeat, and comparing interned strings costs a few instructions where the two
 * Map look-ups cost ~150 each (~1.5k of a ping round trip, both ends). Each machine has its own.
 */
export class Transitions<S extends string, T extends string> {
	readonly #rows: ReadonlyMap<S, ReadonlyMap<T, S>>;
	readonly #from: Array<S | undefined> = new Array<S | undefined>(recentMoves).fill(undefined);
	readonly #trigger: Array<T | undefined> = new Array<T | undefined>(recentMoves).fill(undefined);
	readonly #to: Array<S | undefined> = new Array<S | undefined>(recentMoves).fill(undefined);
	#oldest = 0;

	constructor(table: Table<S, T>) {
		const rows = new Map<S, ReadonlyMap<T, S>>();
		for (const from of Object.keys(table) as S[]) {
			rows.set(from, new Map(Object.entries(table[from]) as Array<[T, S]>));
		}

		this.#rows = rows;
	}

	/** As `nextState` on the table it was made from. Only allowed moves are remembered. */
	next(from: S, trigger: T): S | undefined {
		for (let i = 0; i < recentMoves; i++) {
			if (this.#from[i] === from && this.#trigger[i] === trigger) {
				return this.#to[i];
			}
		}

		const to = this.#rows.get(from)?.get(trigger);
		if (to !== undefined) {
			const slot = this.#oldest;
			this.#from[slot] = from;
			this.#trigger[slot] = trigger;
			this.#to[slot] = to;
			this.#oldest = (slot + 1) % recentMoves;
		}

		return to;
	}
}

/** Where `trigger` leads from `from`, or undefined when the table does not allow it. */
export function nextState<S extends string, T extends string>(table: Table<S, T>, from: S, trigger: T): S | undefined {
	return table[from][trigger];
}

/** A job that has ended (the monitor drops it from the active list). */
export function isFinished(status: JobStatus): boolean {
	return status === 'done' || status === 'failed' || status === 'cancelled' || status === 'expired';
}
