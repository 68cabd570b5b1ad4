import type {Encoded, IncomingRequest, Outcome, UnreadableRequest, WireProtocol} from '../wire/types.js';
import type {EventBus} from './bus.js';
import {formatMs} from './format.js';
import type {Link} from './link.js';
import type {CallContext, MethodRegistry} from './registry.js';
import {JobMover, Machine, type Illegal} from './machine.js';
import {serverJobTable, serverTable, type ServerJobStatus, type ServerJobTrigger, type ServerState, type ServerTrigger} from './states.js';

/** What the server side needs from the agent around it. */
export type ServerSideDeps = {
	readonly protocol: WireProtocol;
	readonly link: Link;
	readonly bus: EventBus;
	readonly registry: MethodRegistry;
	readonly nextJobId: () => number;
	readonly kick: () => void;
	readonly illegal: Illegal;
};

export type ServerSideOptions = {
	/** Requests being answered at once (default 1). */
	readonly queueMax: number;
	/** A handler that has not answered by then gets fault -500. */
	readonly handlerTimeoutMs: number;
	/** Refusals waiting to be sent before reading pauses (back-pressure, §4). */
	readonly refusalMax: number;
};

type AfterReply = (sent: boolean) => void;

/** A request being answered, and what its handler sees of it (one object per request, not two: the hot path). */
class ServerJob implements CallContext {
	status: ServerJobStatus;
	/** The answer, decided once (§4), until it is written. */
	encoded: Encoded | undefined = undefined;
	/** Whether the answer decided is the handler's success (side effects run only then). */
	success = false;
	actions: AfterReply[] | undefined = undefined;

	constructor(
		readonly id: number,
		readonly method: string,
		readonly tag: string | undefined,
		/** An over-limit request answered with a fault: it holds no slot. */
		readonly refusal: boolean,
		status: ServerJobStatus,
	) {
		this.status = status;
	}

	afterReply(action: AfterReply): void {
		if (this.status === 'running') {
			(this.actions ??= []).push(action);
		} else {
			runAction(action, false); // Registered too late: the answer went without it.
		}
	}
}

const noActions: readonly AfterReply[] = [];
const refusalFault = {ok: false, fault: {code: -500, message: 'server job queue limit exceeded'}} as const;

/**
 * The server half of an agent (docs/PROTOCOL.md §4): the requests being answered, the server
 * machine and every server job's status, changed only through the tables in states.ts. Every
 * request gets an answer: one over the limit gets fault -500, and while refusals pile up the
 * reading pauses until they drain (back-pressure, never a silent drop).
 */
export class ServerSide {
	readonly #deps: ServerSideDeps;
	readonly #options: ServerSideOptions;
	readonly #machine: Machine<ServerState, ServerTrigger>;
	readonly #jobs: JobMover<ServerJobStatus, ServerJobTrigger, ServerJob>;
	/**
	 * Every job not finished: an array, not a Set (one job per request here, and a Set paid an
	 * identity hash and a table resize for each); bounded by the queue limit plus the refusals.
	 */
	readonly #live: ServerJob[] = [];
	/** Answers ready to send, in the order they became ready. */
	#ready: ServerJob[] = [];
	/** Jobs holding a slot: running, or answered and not yet being written. */
	#slotsTaken = 0;
	/** Refusals not yet written. */
	#refusals = 0;
	#pausedReading = false;

	constructor(deps: ServerSideDeps, options: ServerSideOptions) {
		this.#deps = deps;
		this.#options = options;
		this.#machine = new Machine('server', serverTable, 'IDLE', deps.bus, deps.illegal);
		this.#jobs = new JobMover('server', serverJobTable, deps.bus, deps.illegal, {queued: () => this.jobCount, limit: options.queueMax});
	}

	get state(): ServerState {
		return this.#machine.state;
	}

	/** Requests being answered (refusals not counted). */
	get jobCount(): number {
		return this.#live.length - this.#refusals;
	}

	onRequest(message: IncomingRequest | UnreadableRequest): void {
		// A response still being written holds no slot: a peer with one request out sends its
		// next one only after reading that response, so it must not be refused for want of a slot.
		if (this.#slotsTaken >= this.#options.queueMax) {
			this.#refuse(message.key);
			return;
		}

		const job = this.#add(message.kind === 'request' ? message.method : '?', message.key, false, 'running');
		this.#slotsTaken++;
		if (message.kind === 'unreadable-request') {
			this.#decide(job, {ok: false, fault: message.fault});
		} else {
			this.#run(job, message);
		}
	}

	/** Server work first (§4): send the oldest ready answer if there is one. */
	trySend(): boolean {
		const job = this.#ready.shift();
		if (!job) {
			return false;
		}

		const {encoded} = job;
		job.encoded = undefined;
		if (!job.refusal) {
			this.#slotsTaken--;
		}

		// A listener may have reset the engine or dropped the channel on the events just sent.
		if (!this.#machine.fire('send', job) || !this.#jobs.move(job, 'send') || job.status !== 'sending' || !this.#deps.link.connected) {
			return true;
		}

		if (this.#deps.bus.wireTap) {
			// Only then: the body is a view made when asked for.
			this.#deps.bus.tap('out', 'response', job.tag, encoded!.body);
		}

		this.#deps.link.send(encoded!.bytes, () => {
			this.#onSent(job);
		});
		return true;
	}

	/** The send side is busy with a client request: a ready answer waits (IDLE→WAIT). */
	deferIfReady(): void {
		const job = this.#ready[0];
		if (job && this.#machine.state === 'IDLE') {
			this.#machine.fire('defer', job);
		}
	}

	/** Channel lost or protocol broken: every job is dropped (its side effects never run). */
	reset(code: string, message: string): void {
		const jobs = this.#live.splice(0);
		const current = this.#ready[0] ?? jobs.find(job => job.status === 'sending');
		this.#ready = [];
		this.#slotsTaken = 0;
		this.#refusals = 0;
		if (this.#machine.state !== 'IDLE') {
			this.#machine.fire('reset', current, 'reset');
		}

		for (const job of jobs) {
			job.encoded = undefined;
			this.#jobs.move(job, 'fail', {code, message: `dropped: ${message}`});
			this.#afterReply(job, false);
		}

		this.#resumeReading();
	}

	#add(method: string, tag: string | undefined, refusal: boolean, status: 'running' | 'ready'): ServerJob {
		const job = new ServerJob(this.#deps.nextJobId(), method, tag, refusal, status);
		this.#live.push(job);
		this.#jobs.created(job);
		return job;
	}

	/** Over the limit: the request still gets an answer, a fault (v5 dropped it silently). */
	#refuse(tag: string | undefined): void {
		this.#deps.bus.log('warn', `request ${tag ?? '(untagged)'} refused: server job queue limit exceeded`);
		this.#refusals++;
		const job = this.#add('(rejected)', tag, true, 'ready');
		this.#ready.push(job);
		job.encoded = this.#deps.protocol.writer.response(tag, refusalFault);
		if (this.#refusals >= this.#options.refusalMax && !this.#pausedReading) {
			// A flood: stop reading until the refusals drain, so every request is answered and
			// memory stays bounded.
			this.#pausedReading = true;
			this.#deps.link.pause();
		}

		this.#deps.kick();
	}

	#run(job: ServerJob, request: IncomingRequest): void {
		let answer: Outcome | Promise<Outcome>;
		try {
			answer = this.#deps.registry.dispatch(request, job);
		} catch (error) {
			answer = internalFault(error);
		}

		if (!(answer instanceof Promise)) {
			this.#decide(job, answer);
			return;
		}

		const timer = setTimeout(() => {
			this.#decide(job, {ok: false, fault: {code: -500, message: `${job.method} did not answer within ${formatMs(this.#options.handlerTimeoutMs)}`}});
		}, this.#options.handlerTimeoutMs);
		answer.then(
			outcome => {
				clearTimeout(timer);
				this.#decide(job, outcome);
			},
			(error: unknown) => {
				clearTimeout(timer);
				this.#decide(job, internalFault(error));
			},
		);
	}

	/** The answer is decided once: a later one (after the deadline, after a reset) is ignored. */
	#decide(job: ServerJob, outcome: Outcome): void {
		if (job.status !== 'running') {
			return;
		}

		const encoded = this.#deps.protocol.writer.response(job.tag, outcome);
		job.encoded = encoded;
		job.success = encoded.ok;
		if (this.#jobs.move(job, 'answer')) {
			this.#ready.push(job);
			this.#deps.kick();
		}
	}

	#onSent(job: ServerJob): void {
		if (job.status !== 'sending') {
			return; // Dropped by a reset meanwhile.
		}

		this.#forget(job);
		if (job.refusal) {
			this.#refusals--;
		}

		if (!this.#jobs.move(job, 'sent') || !this.#machine.fire('sent', job)) {
			return;
		}

		this.#afterReply(job, job.success);
		if (this.#refusals <= this.#options.refusalMax / 2) {
			this.#resumeReading();
		}
	}

	#forget(job: ServerJob): void {
		const index = this.#live.indexOf(job); // Answers go oldest first: near the front.
		if (index >= 0) {
			this.#live.splice(index, 1);
		}
	}

	#afterReply(job: ServerJob, sent: boolean): void {
		const {actions} = job;
		job.actions = undefined;
		for (const action of actions ?? noActions) {
			runAction(action, sent, this.#deps.bus);
		}
	}

	#resumeReading(): void {
		if (this.#pausedReading) {
			this.#pausedReading = false;
			this.#deps.link.resume();
		}
	}
}

function internalFault(error: unknown): Outcome {
	return {ok: false, fault: {code: -500, message: error instanceof Error ? error.message : String(error)}};
}

/** A side effect's hook: whatever it throws is reported, never thrown on. */
function runAction(action: AfterReply, sent: boolean, bus?: EventBus): void {
	try {
		action(sent);
	} catch (error) {
		bus?.log('error', `after-reply action failed: ${error instanceof Error ? error.message : String(error)}`);
	}
}
