import type {EventBus} from './bus.js';
import type {ClientJob} from './client-job.js';
import type {JobList} from './job-list.js';
import type {PeerSlots} from './peer-slots.js';

/** No late answer within this many times the job's timeout: the channel is reset (§4). */
const graceFactor = 2;

/** What the matcher needs from the agent around it (the client side's own deps fit). */
export type AnswerMatcherDeps = {
	readonly bus: EventBus;
	/** A late answer freed a slot on the peer: the next request may go (the kick, §4). */
	readonly kick: () => void;
};

/**
 * Which client job an answer is for (docs/PROTOCOL.md §4): the live request with its key, or
 * for an untagged answer (a v5 peer) the one request in flight. An answer to a request given up
 * on is late: dropped, and the slot it held on the peer is free again. Anything else is dropped
 * with a warning. It moves no job and fires no trigger (the client side does, with the job it
 * gets): it reads the client side's live requests and takes and frees slots on the peer.
 */
export class AnswerMatcher {
	readonly #deps: AnswerMatcherDeps;
	/** The client side's live requests on the peer, by key. */
	readonly #outstanding: JobList<ClientJob>;
	/** Given-up requests still held by the peer. */
	readonly #slots: PeerSlots;

	constructor(deps: AnswerMatcherDeps, outstanding: JobList<ClientJob>, slots: PeerSlots) {
		this.#deps = deps;
		this.#outstanding = outstanding;
		this.#slots = slots;
	}

	/** The live job an answer with this key is for; undefined when none is (the answer is dropped). */
	match(tag: string | undefined): ClientJob | undefined {
		if (tag === undefined) {
			// A peer that sends no keys (v5): the answer is for the one request outstanding.
			const sole = this.#outstanding.size === 0 ? this.#slots.soleTag() : undefined;
			const only = this.#outstanding.sole;
			if (only) {
				return only;
			}

			if (sole === undefined) {
				this.#deps.bus.log('warn', 'untagged response with no request in flight: dropped');
			} else {
				this.#late(sole);
			}

			return undefined;
		}

		const job = this.#outstanding.withTag(tag);
		if (job) {
			return job;
		}

		if (!this.#late(tag)) {
			this.#deps.bus.log('warn', `response with unknown tag ${JSON.stringify(tag)} dropped`);
		}

		return undefined;
	}

	/**
	 * A job given up on after its request was written: the peer still holds it, so it takes a
	 * slot there until its late answer or the grace period ends (a no-reply request sends none).
	 */
	awaitLate(job: ClientJob): void {
		if (job.expectsReply) {
			this.#slots.occupy(job.tag, job.method, graceFactor * job.timeoutMs);
		}
	}

	/** A late answer is dropped, and the slot it held on the peer is free again. */
	#late(tag: string): boolean {
		if (!this.#slots.release(tag)) {
			return false;
		}

		this.#deps.bus.log('info', `late response for tag ${tag} dropped (its job already failed)`);
		this.#deps.kick();
		return true;
	}
}
