import {keyCounterText, type CorrelationKey, type ResyncRequest, type WireProtocol, type WireProtocolFactory} from '../types.js';
import {defaultLineMax} from './line-reader.js';
import {QgaReader, type DropReport} from './reader.js';
import {newSyncId} from './sync.js';
import {QgaWriter} from './writer.js';

/** Commands whose success sends no reply (guest-info's `success-response: false`). */
const noReplyCommands: ReadonlySet<string> = new Set(['guest-shutdown', 'guest-suspend-disk', 'guest-suspend-ram', 'guest-suspend-hybrid']);

export type QgaCounters = {
	/** Replies whose id is none of ours (stale, foreign, missing). */
	foreignReplies: number;
	/** Lines that are not a reply (not JSON, nested over 64, no return/error). */
	garbageLines: number;
	/** Lines and byte runs a sync discarded, and lines dropped whole (over the limit, cut). */
	discarded: number;
	syncs: number;
};

export type QgaProtocolOptions = {
	readonly lineMax?: number;
	/** A reply line that gets no byte for this long is dropped (default 10 s, as `--stall-timeout`). */
	readonly stallMs?: number;
	/** One line per thing dropped; guest text in it is already escaped to one ASCII line. */
	readonly log?: (message: string) => void;
};

/**
 * qemu-ga's wire protocol (docs/PROTOCOL.md §9, docs/QGA.md): JSON requests and one-line JSON
 * replies matched by `id`; no server side; guest-sync-delimited before the first request and
 * again after an abandoned request, unparsable input or a no-reply request.
 */
export class QgaProtocol implements WireProtocol {
	readonly name = 'qga';
	readonly reader: QgaReader;
	readonly writer: QgaWriter;
	readonly hasServerSide = false;
	readonly counters: QgaCounters = {foreignReplies: 0, garbageLines: 0, discarded: 0, syncs: 0};
	readonly #log: (message: string) => void;
	#nextKey = 1;
	#inStep = false;
	/** A sync has been answered on this stream: an agent is there, and talking to us. */
	#answeredOnce = false;

	constructor(options: QgaProtocolOptions = {}) {
		const lineMax = options.lineMax ?? defaultLineMax;
		this.#log = options.log ?? (() => undefined);
		this.reader = new QgaReader(
			lineMax,
			report => {
				this.#dropped(report);
			},
			() => {
				this.#inStep = true;
				this.#answeredOnce = true;
			},
			options.stallMs,
		);
		this.writer = new QgaWriter(lineMax, (key, method, args) => {
			this.#requestWritten(key, method, args);
		});
	}

	/** Whether a sync has ever been answered on this stream (see `describeSyncTimeout`). */
	get answeredOnce(): boolean {
		return this.#answeredOnce;
	}

	/** In step with the agent: the last sync was answered and nothing has disturbed it since. */
	get inStep(): boolean {
		return this.#inStep && !this.reader.syncing;
	}

	nextKey(): CorrelationKey {
		return `q${keyCounterText(this.#nextKey++)}`;
	}

	expectsReply(method: string): boolean {
		return !noReplyCommands.has(method);
	}

	resyncRequest(): ResyncRequest | undefined {
		if (this.#inStep) {
			return undefined;
		}

		return {method: 'guest-sync-delimited', params: [{id: newSyncId()}]};
	}

	/** Also after a no-reply request's silence: what it did next is unknown, so sync again. */
	abandoned(_key?: CorrelationKey): void {
		// Its reply may still come: it must be discarded by a sync, never taken for another's.
		this.#inStep = false;
	}

	reset(): void {
		this.reader.reset();
		this.#inStep = false;
		this.#answeredOnce = false;
	}

	#requestWritten(key: CorrelationKey, method: string, args: Readonly<Record<string, unknown>> | undefined): void {
		if (method === 'guest-sync-delimited') {
			this.#inStep = false;
			this.counters.syncs++;
			this.reader.expectSync(key, args?.['id']);
		}
	}

	#dropped(report: DropReport): void {
		if (report.kind === 'foreign') {
			this.counters.foreignReplies++;
		} else if (report.kind === 'garbage') {
			this.counters.garbageLines++;
			this.#inStep = false;
		} else if (report.kind === 'sync-refused') {
			this.#log(`qga: ${report.detail}`);
			return;
		} else {
			this.counters.discarded++;
			if (report.kind === 'overlong' || report.kind === 'cut') {
				this.#inStep = false;
			}
		}

		this.#log(`qga: dropped ${report.detail}`);
	}
}

/** Why a sync went unanswered, for the operator (docs/PROTOCOL.md §9). */
export function describeSyncTimeout(protocol: QgaProtocol, timeoutMs: number): string {
	const seconds = `${timeoutMs / 1000}s`;
	return protocol.answeredOnce
		? `qemu-ga stopped answering: no reply to guest-sync-delimited within ${seconds}`
		: `no answer to guest-sync-delimited within ${seconds}: the agent is held by another client (qemu-ga serves one at a time) or is not running`;
}

export const qgaProtocol: WireProtocolFactory = limits =>
	new QgaProtocol({lineMax: Math.max(defaultLineMax, limits.bodyMax), ...(limits.bodyStallMs === undefined ? {} : {stallMs: limits.bodyStallMs})});
