import type net from 'node:net';
/**
 * A second wire protocol, for tests of the message layer: newline-delimited JSON shaped like
 * qemu-ga's (docs/PROTOCOL.md §9). Requests are `{"execute", "arguments", "id"}` lines; answers
 * `{"return", "id"}` or `{"error": {"class", "desc"}, "id"}` lines. The peer never calls us
 * (no server side). Methods named in `noReply` send no reply on success. Before the first
 * request, after a given-up request (a no-reply one included), after unparsable input, the
 * engine is asked to send `sync` first: its answer is `0xFF` then `{"return": KEY}`, and
 * everything before the `0xFF` is discarded (a stale answer can never pass for a new one).
 */
import type {
	CorrelationKey,
	Encoded,
	IncomingMessage,
	MessageReader,
	MessageWriter,
	Outcome,
	ReaderEvent,
	ResyncRequest,
	WireProtocol,
	WireValue,
} from '../../src/wire/types.js';

const lineMax = 64 * 1024;

export class NdjsonProtocol implements WireProtocol {
	readonly name = 'ndjson';
	readonly hasServerSide = false;
	readonly reader: MessageReader;
	readonly writer: MessageWriter;
	readonly #noReply: ReadonlySet<string>;
	#nextKey = 1;
	#needsSync = true;
	/** The key of the sync request written and not yet answered: input is skipped until 0xFF. */
	#syncKey: string | undefined;
	#seenSentinel = false;
	#pending = '';

	constructor(noReply: readonly string[] = []) {
		this.#noReply = new Set(noReply);
		this.reader = {push: chunk => this.#push(chunk), end: () => this.#end()};
		this.writer = {request: (key, method, params) => this.#request(key, method, params), response: (key, outcome) => encodeAnswer(key, outcome)};
	}

	nextKey(): CorrelationKey {
		return `k${this.#nextKey++}`;
	}

	expectsReply(method: string): boolean {
		return !this.#noReply.has(method);
	}

	resyncRequest(): ResyncRequest | undefined {
		return this.#needsSync ? {method: 'sync', params: []} : undefined;
	}

	/** A given-up request, or a no-reply one whose silence ended: its answer may still come. */
	abandoned(): void {
		this.#needsSync = true;
	}

	reset(): void {
		this.#needsSync = true;
		this.#syncKey = undefined;
		this.#pending = '';
	}

	#request(key: string, method: string, params: readonly WireValue[]): Encoded {
		if (method === 'sync') {
			this.#syncKey = key;
			this.#seenSentinel = false;
		}

		const body = Buffer.from(JSON.stringify({execute: method, arguments: method === 'sync' ? {id: key} : (params[0] ?? {}), id: key}));
		return {bytes: Buffer.concat([body, Buffer.from('\n')]), body};
	}

	#push(chunk: Buffer): ReaderEvent[] {
		const events: ReaderEvent[] = [];
		let data = chunk;
		if (this.#syncKey !== undefined && !this.#seenSentinel) {
			const ff = data.indexOf(0xff);
			events.push({type: 'skipped', bytes: ff < 0 ? data.length : ff});
			if (ff < 0) {
				return events;
			}

			this.#seenSentinel = true;
			this.#pending = '';
			data = data.subarray(ff + 1);
		}

		this.#pending += data.toString('utf8');
		let newline: number;
		while ((newline = this.#pending.indexOf('\n')) >= 0) {
			const line = this.#pending.slice(0, newline);
			this.#pending = this.#pending.slice(newline + 1);
			events.push(this.#line(line));
		}

		if (this.#pending.length > lineMax) {
			this.#pending = '';
			this.#needsSync = true;
			events.push({type: 'error', code: 'LINE_TOO_LONG', message: `a line over ${lineMax} bytes`});
		}

		return events;
	}

	#line(line: string): ReaderEvent {
		let parsed: {return?: WireValue; error?: {class?: string; desc?: string}; id?: string};
		try {
			parsed = JSON.parse(line) as typeof parsed;
		} catch {
			this.#needsSync = true;
			return {type: 'error', code: 'BAD_JSON', message: `unparsable line of ${line.length} characters`};
		}

		const raw = Buffer.from(line);
		if (this.#syncKey !== undefined && parsed.return === this.#syncKey) {
			const key = this.#syncKey;
			this.#syncKey = undefined;
			this.#needsSync = false;
			return {type: 'message', message: {kind: 'response', key, outcome: {ok: true, value: key}, raw}};
		}

		const key = typeof parsed.id === 'string' ? parsed.id : undefined;
		let message: IncomingMessage;
		if (parsed.error) {
			message = {kind: 'response', key, outcome: {ok: false, fault: {code: -500, message: parsed.error.desc ?? '', errorClass: parsed.error.class}}, raw};
		} else if ('return' in parsed) {
			message = {kind: 'response', key, outcome: {ok: true, value: parsed.return ?? null}, raw};
		} else {
			message = {kind: 'unreadable-response', key, reason: 'neither return nor error', raw};
		}

		return {type: 'message', message};
	}

	#end(): ReaderEvent[] {
		const cut = this.#pending.length;
		this.#pending = '';
		return cut > 0 ? [{type: 'error', code: 'TRUNCATED', message: `stream ended inside a line (${cut} characters)`}] : [];
	}
}

/** Never used (no server side), but a writer answers anyway. */
function encodeAnswer(key: CorrelationKey | undefined, outcome: Outcome): Encoded & {ok: boolean} {
	const body = Buffer.from(JSON.stringify(outcome.ok ? {return: null, id: key} : {error: {class: 'GenericError', desc: outcome.fault.message}, id: key}));
	return {bytes: Buffer.concat([body, Buffer.from('\n')]), body, ok: outcome.ok};
}

/** Each newline-ended JSON value the test peer reads from `socket`, in order. */
export function onJsonLines<T>(socket: net.Socket, handle: (value: T) => void): void {
	let pending = '';
	socket.on('data', (chunk: Buffer) => {
		pending += chunk.toString('utf8');
		let newline: number;
		while ((newline = pending.indexOf('\n')) >= 0) {
			const value = JSON.parse(pending.slice(0, newline)) as T;
			pending = pending.slice(newline + 1);
			handle(value);
		}
	});
}
