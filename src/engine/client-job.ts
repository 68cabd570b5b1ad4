import type {Encoded, NoReplyResult, WireValue} from '../wire/types.js';
import {VirtagentError} from './errors.js';
import {formatMs} from './format.js';
import type {ListSlot} from './job-list.js';
import type {ClientJobStatus} from './states.js';

/** One request, its answer and its completion (docs/PROTOCOL.md §4). */
export type ClientJob = {
	readonly id: number;
	readonly method: string;
	/** Its correlation key on the wire (the X-Virtagent-Client-Tag, a JSON id). */
	readonly tag: string;
	/** The encoded request until it is written: a job that ends before leaves nothing queued. */
	encoded: Encoded | undefined;
	status: ClientJobStatus;
	readonly timeoutMs: number;
	/** False for a request whose success sends no reply (§9). */
	readonly expectsReply: boolean;
	/** When it times out (ms, monotonicMs()): one shared timer watches every job's (deadline-timer.ts). */
	deadline: number;
	readonly resolve: (value: WireValue) => void;
	readonly reject: (error: Error) => void;
	/** Its places in the client side's lists of unfinished and outstanding jobs (job-list.ts; -1: not in it). */
	unfinishedAt: number;
	outstandingAt: number;
};

export function createClientJob(fields: Omit<ClientJob, 'status' | 'unfinishedAt' | 'outstandingAt'>): ClientJob {
	// Every field written out: one object shape for every job (the hot path).
	const {id, method, tag, encoded, timeoutMs, deadline, expectsReply, resolve, reject} = fields;
	return {id, method, tag, encoded, status: 'queued', timeoutMs, deadline, expectsReply, resolve, reject, unfinishedAt: -1, outstandingAt: -1};
}

/** A job's place in the client side's list of unfinished jobs. */
export const unfinishedSlot: ListSlot<ClientJob> = {
	get: job => job.unfinishedAt,
	set(job, index) {
		job.unfinishedAt = index;
	},
};

/** A job's place in the client side's list of outstanding jobs (written or being written, awaiting an answer). */
export const outstandingSlot: ListSlot<ClientJob> = {
	get: job => job.outstandingAt,
	set(job, index) {
		job.outstandingAt = index;
	},
};

/** Why a job given up on failed: ECANCELED or ETIMEDOUT, with the method's name. */
export function giveUpError(job: ClientJob, trigger: 'cancel' | 'expire'): VirtagentError {
	return trigger === 'cancel'
		? new VirtagentError('ECANCELED', `${job.method} cancelled`)
		: new VirtagentError('ETIMEDOUT', `${job.method} timed out after ${formatMs(job.timeoutMs)}`);
}

/** The result of a no-reply request: which of the two successes was seen (§9). */
export function noReply(seen: NoReplyResult['noReply']): WireValue {
	return {noReply: seen};
}

/** For a job nobody awaits (a resync request). */
export function ignore(): void {
	// Nothing to settle.
}
