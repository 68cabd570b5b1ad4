/**
 * The message layer between the engine and the channel (like vscode-jsonrpc's MessageReader and
 * MessageWriter). A *wire protocol* owns a reader (bytes → messages: framing + codec) and a
 * writer (messages → bytes). The engine (`src/engine/`) sees only the types in this file: it
 * never touches a framer or a codec, so a second protocol (qemu-ga's JSON, docs/PROTOCOL.md §9)
 * plugs in without changing it.
 *
 * One wire protocol object serves one agent; `reset()` starts it over on each new stream.
 */
import type {XmlRpcValue} from '../protocol/value.js';

/**
 * A value carried by a request or an answer. The XML-RPC value model (docs/PROTOCOL.md §3);
 * JSON values are a subset of it (null, boolean, number, string, array, struct).
 */
export type WireValue = XmlRpcValue;

/**
 * An error answer. XML-RPC faults have a numeric code; a protocol whose errors are named
 * (qemu-ga's `class`) maps them to a code (-500 when nothing fits) and keeps the name in
 * `errorClass`.
 */
export type WireFault = {
	readonly code: number;
	readonly message: string;
	readonly errorClass?: string;
};

/** What a request got: its result, or an error answer. */
export type Outcome = {readonly ok: true; readonly value: WireValue} | {readonly ok: false; readonly fault: WireFault};

/**
 * Ties a response to its request: virtagent's X-Virtagent-Client-Tag, qemu-ga's JSON `id`.
 * Made by the wire protocol (`nextKey`), unique on a connection, at most 64 characters from
 * `A-Z a-z 0-9 . _ -` (so every protocol can carry it and every log can show it).
 */
export type CorrelationKey = string;

/**
 * A key's counter as text, in base 36. Not base 10: V8 keeps each base-10 number-to-string
 * result in its number-string cache (thousands of entries, held by the old generation), so a
 * counter's every string outlived the young generation and was promoted: ~22 KB per scavenge,
 * the monitor's resident memory growing ~1 MiB per 40,000 calls until a full collection. Other
 * radixes are not cached.
 */
export function keyCounterText(count: number): string {
	return count.toString(36);
}

/** A request read from the peer. `key` is undefined when the peer sent none (a v5 peer). */
export type IncomingRequest = {
	readonly kind: 'request';
	readonly key: CorrelationKey | undefined;
	readonly method: string;
	readonly params: readonly WireValue[];
	/** The message's body as read, for the wire tap (`-v`). */
	readonly raw: Buffer;
};

/**
 * A request whose framing was fine but whose body could not be decoded (bad XML, nesting over
 * 64, …): the engine answers it with `fault` like any other request, method shown as `?`.
 */
export type UnreadableRequest = {
	readonly kind: 'unreadable-request';
	readonly key: CorrelationKey | undefined;
	readonly fault: WireFault;
	readonly raw: Buffer;
};

/**
 * A response read from the peer. `key` undefined: the peer sent none, so it answers the one
 * request outstanding (a v5 peer; qemu-ga when the request carried no id).
 */
export type IncomingResponse = {
	readonly kind: 'response';
	readonly key: CorrelationKey | undefined;
	readonly outcome: Outcome;
	readonly raw: Buffer;
};

/** A response whose body could not be decoded: its job (if any) fails with EPROTO `reason`. */
export type UnreadableResponse = {
	readonly kind: 'unreadable-response';
	readonly key: CorrelationKey | undefined;
	readonly reason: string;
	readonly raw: Buffer;
};

export type IncomingMessage = IncomingRequest | UnreadableRequest | IncomingResponse | UnreadableResponse;

/** What a reader reports, in stream order. */
export type ReaderEvent =
	| {readonly type: 'message'; readonly message: IncomingMessage}
	/** Bytes thrown away outside any message (garbage before a sentinel, a resync's discard). */
	| {readonly type: 'skipped'; readonly bytes: number}
	/**
	 * The stream broke the protocol (a framing error such as `BAD_CONTENT_LENGTH` or
	 * `STALLED_FRAME`). The reader has already resynced itself; the engine fails its pending
	 * client jobs with EPROTO (docs/PROTOCOL.md §4) and reads on.
	 */
	| {readonly type: 'error'; readonly code: string; readonly message: string};

/** Bytes → messages. Holds at most one partial message (bounded by the protocol's limits). */
export type MessageReader = {
	/** Feed the next piece of the stream; returns what it completed, in stream order. */
	push(chunk: Buffer): readonly ReaderEvent[];
	/** The stream ended: reports a message cut off in the middle, then starts over. */
	end(): readonly ReaderEvent[];
	/**
	 * Optional stall rule (docs/PROTOCOL.md §2: a started message must keep moving). When a
	 * message is under way, the clock time (ms) by which it must have moved on; undefined when
	 * none is. Readers keep no timers: the engine calls `checkStall` once this has passed.
	 */
	readonly stallDeadline?: number | undefined;
	/** Drop a message that stopped moving (an `error` event, e.g. `STALLED_FRAME`) and resync. */
	checkStall?(): readonly ReaderEvent[];
};

/** An encoded message: what goes on the wire, and its body alone for the wire tap. */
export type Encoded = {
	readonly bytes: Buffer;
	readonly body: Buffer;
};

/** Messages → bytes. */
export type MessageWriter = {
	/**
	 * Encode a request. Throws an Error (the call then fails at once with EINVAL) when the params
	 * cannot be encoded or the message would be over the peer's body limit.
	 */
	request(key: CorrelationKey, method: string, params: readonly WireValue[]): Encoded;
	/**
	 * Encode an answer. Never throws: a result that cannot be encoded, or whose message would be
	 * over the body limit, comes back as a -500 fault answer instead, and `ok` says which was
	 * written (a side effect runs only if its success answer is the one sent, §4).
	 */
	response(key: CorrelationKey | undefined, outcome: Outcome): Encoded & {readonly ok: boolean};
};

/** The request a protocol needs sent (and answered) before the next ordinary request. */
export type ResyncRequest = {
	readonly method: string;
	readonly params: readonly WireValue[];
	/** Its deadline (default: the agent's call timeout). */
	readonly timeoutMs?: number;
};

/**
 * One way of putting messages on a byte stream. virtagent's HTTP+XML-RPC (`src/wire/xmlrpc/`)
 * is the first; qemu-ga's JSON is the second. The engine drives it like this:
 * - each new stream: `reset()`, then every chunk read goes through `reader.push`;
 * - each request: `nextKey()`, `writer.request(…)`; if `expectsReply(method)` is false the job
 *   is complete when the channel closes or its timeout passes in silence (both success);
 * - before each request: `resyncRequest()`; when it returns one, the engine sends it first as a
 *   job of its own and sends the ordinary request only once that one is answered. The protocol
 *   decides when it is needed (first request, after `abandoned`, after unparsable input, after
 *   a no-reply request) and when it is done (its reader saw the answer);
 * - a request the engine stopped waiting for: `abandoned(key)`. That is a timeout or a cancel,
 *   and also a no-reply request whose timeout passed in silence (its answer, if any, may still
 *   come: qemu-ga resyncs after it).
 */
export type WireProtocol = {
	/** For logs: `xmlrpc`, `qga`. */
	readonly name: string;
	readonly reader: MessageReader;
	readonly writer: MessageWriter;
	/**
	 * False when the peer never sends requests (qemu-ga): the engine then runs no server side,
	 * and an incoming request cannot occur (the reader reports one as an error).
	 */
	readonly hasServerSide: boolean;
	/** A fresh key for the next request on this connection. */
	nextKey(): CorrelationKey;
	/** False for a request whose success sends no reply (qemu-ga's guest-shutdown). */
	expectsReply(method: string): boolean;
	/** A request to send before the next one, or undefined when the stream is in step. */
	resyncRequest(): ResyncRequest | undefined;
	/** The engine stopped waiting for the answer to `key` (timeout, cancel, a no-reply silence). */
	abandoned(key: CorrelationKey): void;
	/** A new stream begins: forget any partial input and per-connection state. */
	reset(): void;
};

/** Size limits of one end (docs/PROTOCOL.md §2): body 2 MiB and header 4096 bytes by default. */
export type WireLimits = {
	readonly bodyMax: number;
	/** For protocols with a header (XML-RPC's HTTP header). */
	readonly headerMax?: number;
	/** A started header must be complete within this (default 10 s, §2). */
	readonly headerStallMs?: number;
	/** A started body must receive a byte at least this often (default 10 s, §2). */
	readonly bodyStallMs?: number;
};

/** Builds a protocol for one agent (given as `AgentOptions.protocol`; default XML-RPC). */
export type WireProtocolFactory = (limits: WireLimits) => WireProtocol;

/**
 * What a no-reply request resolves with (docs/PROTOCOL.md §9): the channel closed, or its
 * timeout passed in silence. Both are success; this says which one was seen.
 */
export type NoReplyResult = {readonly noReply: 'channel-closed' | 'silence'};
