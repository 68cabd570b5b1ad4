import type {Encoded, IncomingResponse, UnreadableResponse, WireProtocol, WireValue} from '../wire/types.js';
import {AnswerMatcher} from './answer-matcher.js';
import type {EventBus} from './bus.js';
import {RpcFaultError, VirtagentError, type VirtagentErrorCode} from './errors.js';
import {DeadlineTimer} from './deadline-timer.js';
import {createClientJob, giveUpError, ignore, noReply, outstandingSlot, unfinishedSlot, type ClientJob} from './client-job.js';
import type {Link} from './link.js';
import {PeerSlots} from './peer-slots.js';
import {JobList} from './job-list.js';
import {JobMover, Machine, type Illegal} from './machine.js';
import {clientJobTable, clientTable, isFinished, type ClientJobStatus, type ClientJobTrigger, type ClientState, type ClientTrigger} from './states.js';

export type CallOptions = {
	/** This call's deadline in ms, instead of the agent's default. */
	readonly timeoutMs?: number;
};

/** What the client side needs from the agent around it. */
export type ClientSideDeps = {
	readonly protocol: WireProtocol;
	readonly link: Link;
	readonly bus: EventBus;
	readonly nextJobId: () => number;
	/** Decide what goes on the wire next (the kick, §4). */
	readonly kick: () => void;
	readonly illegal: Illegal;
	/** Something threw where nothing should: the agent reports it and resets. */
	readonly bug: (what: string) => void;
	/** Give up on the channel (no late answer within the grace period). */
	readonly resetChannel: (reason: string) => void;
};

export type ClientSideOptions = {
	readonly queueMax: number;
	readonly callTimeoutMs: number;
};

/**
 * The client half of an agent (docs/PROTOCOL.md §4): its queue, the requests outstanding on the
 * peer, the client machine and every client job's status. Only this class changes them, and
 * only by firing triggers through the tables in states.ts. Which job an answer is for, and
 * what a late one frees: answer-matcher.ts.
 */
export class ClientSide {
	readonly #deps: ClientSideDeps;
	readonly #options: ClientSideOptions;
	readonly #machine: Machine<ClientState, ClientTrigger>;
	readonly #jobs: JobMover<ClientJobStatus, ClientJobTrigger, ClientJob>;
	/** Queued or held jobs, oldest first. */
	readonly #queue: ClientJob[] = [];
	/** Every job not finished yet. */
	readonly #unfinished = new JobList(unfinishedSlot);
	/** Live jobs whose request is being written or awaits its answer, by key. */
	readonly #outstanding = new JobList(outstandingSlot);
	/** Given-up requests still held by the peer. */
	readonly #slots: PeerSlots;
	readonly #answers: AnswerMatcher;
	/** The job whose request is on the wire right now (it may have ended meanwhile). */
	#writing: ClientJob | undefined;
	/** A resync request the protocol asked for, not yet answered: nothing else goes out. */
	#syncing: ClientJob | undefined;
	#capacity = 1;
	readonly #deadlines = new DeadlineTimer(now => this.#expireDue(now));

	constructor(deps: ClientSideDeps, options: ClientSideOptions) {
		this.#deps = deps;
		this.#options = options;
		this.#machine = new Machine('client', clientTable, 'IDLE', deps.bus, deps.illegal);
		this.#jobs = new JobMover('client', clientJobTable, deps.bus, deps.illegal, {
			queued: () => this.jobCount,
			limit: options.queueMax,
			finished: job => this.#unfinished.delete(job),
		});
		this.#slots = new PeerSlots(reason => {
			deps.bus.log('error', `${reason}: resetting the channel`);
			deps.resetChannel(reason);
		});
		this.#answers = new AnswerMatcher(deps, this.#outstanding, this.#slots);
	}

	get state(): ClientState {
		return this.#machine.state;
	}

	/** Jobs queued, held or awaiting an answer. */
	get jobCount(): number {
		return this.#queue.length + this.#outstanding.size;
	}

	/** How many requests the peer can hold at once (its server queue limit, §4). */
	get capacity(): number {
		return this.#capacity;
	}

	set capacity(n: number) {
		this.#capacity = Math.max(1, Math.min(64, Math.floor(n) || 1));
		this.#deps.kick();
	}

	/** A request's promise; every refusal (ENOTCONN, ENOBUFS, EINVAL) is a rejection, never a throw. */
	call(method: string, params: readonly WireValue[], options: CallOptions): Promise<WireValue> {
		// Not an async function: it would wrap the promise below in a second one (every call pays).
		if (!this.#deps.link.connected) {
			return Promise.reject(new VirtagentError('ENOTCONN', 'not connected to the peer agent'));
		}

		if (this.jobCount >= this.#options.queueMax) {
			return Promise.reject(new VirtagentError('ENOBUFS', 'client job queue limit exceeded'));
		}

		let request: {tag: string; encoded: Encoded};
		try {
			request = this.#encode(method, params);
		} catch (error) {
			return Promise.reject(new VirtagentError('EINVAL', (error as Error).message));
		}

		return new Promise<WireValue>((resolve, reject) => {
			const job = this.#newJob(method, request, options.timeoutMs ?? this.#options.callTimeoutMs, resolve, reject);
			this.#queue.push(job);
			// Announced once queued, so the event's queue length counts it.
			this.#jobs.created(job);
			this.#deps.kick();
		});
	}

	/** Fail a queued, held or outstanding job with ECANCELED (its late answer is dropped). */
	cancel(jobId: number): boolean {
		const job = this.#queue.find(j => j.id === jobId) ?? this.#outstanding.oldestFirst().find(j => j.id === jobId);
		return job ? this.#giveUp(job, 'cancel') : false;
	}

	/** The kick's client step: send the next request if the send side and the peer allow it. */
	trySend(): boolean {
		const head = this.#queue[0];
		if (!head || this.#machine.state === 'SEND' || this.#syncing) {
			return false;
		}

		if (this.#outstanding.size + this.#slots.size >= this.#capacity) {
			// Only a request we gave up on makes the next one wait as `held`; live ones are just ahead of it.
			if (this.#slots.size > 0 && head.status === 'queued') {
				this.#jobs.move(head, 'hold');
			}

			return false;
		}

		const resync = this.#deps.protocol.resyncRequest();
		if (resync) {
			const sync = this.#syncJob(resync.method, resync.params, resync.timeoutMs);
			if (!sync) {
				return false;
			}

			this.#syncing = sync;
			this.#send(sync);
			return true;
		}

		this.#queue.shift();
		this.#send(head);
		return true;
	}

	onResponse(message: IncomingResponse | UnreadableResponse): void {
		const job = this.#answers.match(message.key);
		if (!job) {
			return;
		}

		this.#outstanding.delete(job);
		if (this.#writing === job) {
			// The peer answered before our write callback ran: the request was evidently sent.
			this.#writing = undefined;
			if (!this.#machine.fire('sent', job) || !this.#jobs.move(job, 'sent')) {
				return;
			}
		}

		if (this.#syncing === job) {
			this.#syncing = undefined;
		}

		if (!this.#settle(job)) {
			return;
		}

		this.#deps.kick();
		if (message.kind === 'unreadable-response') {
			this.#fail(job, 'fail', new VirtagentError('EPROTO', `unparsable response to ${job.method}: ${message.reason}`));
		} else if (message.outcome.ok) {
			this.#succeed(job, message.outcome.value);
		} else {
			this.#fail(job, 'fail', new RpcFaultError(message.outcome.fault));
		}
	}

	/**
	 * Channel lost or protocol broken: every job fails with `code` (a no-reply request that was
	 * written succeeds: the channel closed), the machine goes IDLE.
	 */
	reset(code: VirtagentErrorCode, message: string, channelGone: boolean): void {
		// Every unfinished job, wherever a bug may have left it: none is ever orphaned.
		const jobs = this.#unfinished.oldestFirst();
		const awaiting = this.#outstanding.oldestFirst();
		const writing = this.#writing;
		this.#queue.length = 0;
		this.#outstanding.clear();
		this.#writing = undefined;
		this.#syncing = undefined;
		if (channelGone) {
			this.#slots.clear();
		}

		// Failed, not given up on: a framing error most likely swallowed the very answer awaited,
		// so no slot is held for it; an answer that still comes is recognised as late.
		for (const job of awaiting) {
			this.#slots.remember(job.tag);
		}

		if (this.#machine.state !== 'IDLE') {
			this.#machine.fire('reset', writing ?? jobs[0], 'reset');
		}

		for (const job of jobs) {
			if (channelGone && !job.expectsReply && job.status === 'waiting') {
				this.#succeed(job, noReply('channel-closed'));
			} else {
				this.#fail(job, 'fail', new VirtagentError(code, message));
			}
		}
	}

	#encode(method: string, params: readonly WireValue[]): {tag: string; encoded: Encoded} {
		const tag = this.#deps.protocol.nextKey();
		return {tag, encoded: this.#deps.protocol.writer.request(tag, method, params)};
	}

	#newJob(method: string, request: {tag: string; encoded: Encoded}, timeoutMs: number, resolve: ClientJob['resolve'], reject: ClientJob['reject']): ClientJob {
		const expectsReply = this.#deps.protocol.expectsReply(method);
		// Fields written out and one deadline handler for every job: a spread and a closure per call cost more.
		const deadline = this.#deadlines.add(timeoutMs);
		const job = createClientJob({
			id: this.#deps.nextJobId(),
			method,
			tag: request.tag,
			encoded: request.encoded,
			timeoutMs,
			deadline,
			expectsReply,
			resolve,
			reject,
		});
		this.#unfinished.add(job);
		return job;
	}

	/** The shared timer fired: every job due by `now` times out; returns the next deadline. */
	#expireDue(now: number): number | undefined {
		const due: ClientJob[] = [];
		let next: number | undefined;
		for (const job of this.#unfinished.oldestFirst()) {
			if (job.deadline <= now) {
				due.push(job);
			} else if (next === undefined || job.deadline < next) {
				next = job.deadline;
			}
		}

		for (const job of due) {
			try {
				this.#giveUp(job, 'expire');
			} catch (error) {
				this.#deps.bug(`exception at ${job.method}'s deadline: ${error instanceof Error ? error.message : String(error)}`);
			}
		}

		return next;
	}

	/** The protocol's resync request as a job of its own (nobody awaits it; its events show it). */
	#syncJob(method: string, params: readonly WireValue[], timeoutMs: number | undefined): ClientJob | undefined {
		try {
			const job = this.#newJob(method, this.#encode(method, params), timeoutMs ?? this.#options.callTimeoutMs, ignore, ignore);
			this.#jobs.created(job);
			return job;
		} catch (error) {
			this.#deps.bus.log('error', `cannot encode the resync request ${method}: ${(error as Error).message}`);
			return undefined;
		}
	}

	#send(job: ClientJob): void {
		const {encoded} = job;
		job.encoded = undefined;
		this.#outstanding.add(job);
		this.#writing = job;
		// A listener may have reset the engine or dropped the channel on the events just sent.
		if (!this.#machine.fire('send', job) || !this.#jobs.move(job, 'send') || this.#writing !== job || !this.#deps.link.connected) {
			return;
		}

		if (this.#deps.bus.wireTap) {
			// Only then: the body is a view made when asked for (~450 instructions a call).
			this.#deps.bus.tap('out', 'request', job.tag, encoded!.body);
		}

		this.#deps.link.send(encoded!.bytes, () => {
			this.#onSent(job);
		});
	}

	#onSent(job: ClientJob): void {
		if (this.#writing !== job) {
			return; // Answered already (a fast peer), or reset meanwhile.
		}

		this.#writing = undefined;
		if (!this.#machine.fire('sent', job)) {
			return;
		}

		if (isFinished(job.status)) {
			// Given up while it was being written (the frame had to finish; its slot is taken).
			this.#settle(job, job.status === 'cancelled' ? 'cancelled' : 'timeout');
		} else {
			this.#jobs.move(job, 'sent');
		}
	}

	/** Timeout or cancel. Returns false when the job had already ended. */
	#giveUp(job: ClientJob, trigger: 'expire' | 'cancel'): boolean {
		if (isFinished(job.status)) {
			return false;
		}

		const reason = trigger === 'cancel' ? 'cancelled' : 'timeout';
		if (job.status === 'queued' || job.status === 'held') {
			this.#queue.splice(this.#queue.indexOf(job), 1);
		} else {
			this.#outstanding.delete(job);
			if (this.#syncing === job) {
				this.#syncing = undefined;
			}

			if (job.status === 'waiting' && !job.expectsReply && trigger === 'expire') {
				// No reply is the expected success (§9): silence until the deadline. The protocol
				// hears of it as of any request the engine stopped waiting for (qga resyncs).
				this.#deps.protocol.abandoned(job.tag);
				if (this.#settle(job)) {
					this.#succeed(job, noReply('silence'));
				}

				this.#deps.kick();
				return true;
			}

			// Written or being written: the peer holds it now (an answer that beats our write
			// callback must find its slot, so it is taken at once).
			this.#deps.protocol.abandoned(job.tag);
			this.#answers.awaitLate(job);
			if (job.status === 'waiting' && !this.#settle(job, reason)) {
				return true;
			}
		}

		this.#fail(job, trigger, giveUpError(job, trigger));
		this.#deps.kick();
		return true;
	}

	#succeed(job: ClientJob, value: WireValue): void {
		if (this.#jobs.move(job, 'succeed')) {
			job.resolve(value);
		}
	}

	#fail(job: ClientJob, trigger: 'fail' | 'cancel' | 'expire', error: VirtagentError | RpcFaultError): void {
		job.encoded = undefined;
		const message = error instanceof RpcFaultError ? error.faultString : error.message;
		if (this.#jobs.move(job, trigger, {code: error.code, message})) {
			job.reject(error);
		}
	}

	/** WAIT→IDLE once nothing awaits an answer (a request still being written settles when sent). */
	#settle(job: ClientJob, reason?: string): boolean {
		return this.#machine.state !== 'WAIT' || this.#outstanding.size > 0 || this.#machine.fire('settled', job, reason);
	}
}
