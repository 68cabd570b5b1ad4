import {callXml, faultXml, responseXml} from '../../protocol/codec.js';
import {encodeTextFrame, FrameTemplate, NO_TAG} from '../../protocol/frame-encoder.js';
import type {FrameKind} from '../../protocol/frame.js';
import {FaultCode, type Fault} from '../../protocol/value.js';
import type {CorrelationKey, Encoded, MessageWriter, Outcome, WireValue} from '../types.js';

/** A message as one buffer; its body (for the wire tap only) is a view made when asked for. */
class EncodedFrame implements Encoded {
	constructor(
		readonly bytes: Buffer,
		readonly bodyBytes: number,
		readonly ok: boolean,
	) {}

	get body(): Buffer {
		return this.bytes.subarray(this.bytes.length - this.bodyBytes);
	}
}

/** Strings longer than this are not remembered: a big answer is seldom sent twice in a row. */
const lastStringMax = 256;

/**
 * One encoded body remembered with what it encodes (a method name, or a string result), and,
 * once it is written a second time, its frame's bytes but the tag (a FrameTemplate).
 */
class LastBody {
	key: string | undefined = undefined;
	body = '';
	bytes = 0;
	#template: FrameTemplate | undefined = undefined;

	constructor(readonly kind: FrameKind) {}

	keep(key: string, body: string, bytes: number): void {
		if (this.key !== key) {
			this.key = key;
			this.body = body;
			this.bytes = bytes;
			this.#template = undefined;
		}
	}

	/** The frame of the body remembered, with this tag. */
	frame(tag: string | undefined): Buffer {
		this.#template ??= new FrameTemplate(this.kind, this.body, this.bytes);
		return this.#template.frame(tag);
	}
}

/**
 * Messages → bytes for HTTP-framed XML-RPC. Answers never throw: whatever the handler returned,
 * something valid goes on the wire (docs/PROTOCOL.md §2: no accepted input can make an encoder
 * throw). Each message is encoded as text and written once into its frame (frame-encoder.ts).
 */
export class XmlRpcWriter implements MessageWriter {
	readonly #bodyMax: number;
	/** The last call without parameters and the last string answer: a ping loop repeats both. */
	readonly #lastCall = new LastBody('request');
	readonly #lastString = new LastBody('response');

	constructor(bodyMax: number) {
		this.#bodyMax = bodyMax;
	}

	request(key: CorrelationKey, method: string, params: readonly WireValue[]): Encoded {
		const last = params.length === 0 && this.#lastCall.key === method ? this.#lastCall : undefined;
		let body: string;
		try {
			body = last?.body ?? callXml(method, params);
		} catch (error) {
			throw new Error(`cannot encode ${method}: ${(error as Error).message}`);
		}

		const bytes = last?.bytes ?? Buffer.byteLength(body, 'utf8');
		if (params.length === 0) {
			this.#lastCall.keep(method, body, bytes);
		}

		if (bytes > this.#bodyMax) {
			throw new Error(`${method} request too large: ${bytes} bytes (limit ${this.#bodyMax})`);
		}

		return new EncodedFrame(last ? last.frame(key) : encodeTextFrame('request', key, body, bytes), bytes, true);
	}

	/** The result-size guard: an answer that cannot be encoded or would not fit is a fault. */
	response(key: CorrelationKey | undefined, outcome: Outcome): EncodedFrame {
		if (!outcome.ok) {
			return answer(key, faultBody(outcome.fault), false);
		}

		const {value} = outcome;
		const last = typeof value === 'string' && this.#lastString.key === value ? this.#lastString : undefined;
		let body: string;
		try {
			body = last?.body ?? responseXml(value);
		} catch (error) {
			return answer(key, faultBody({code: FaultCode.internal, message: `cannot encode the result: ${(error as Error).message}`}), false);
		}

		const bytes = last?.bytes ?? Buffer.byteLength(body, 'utf8');
		if (typeof value === 'string' && value.length <= lastStringMax) {
			this.#lastString.keep(value, body, bytes);
		}

		if (bytes > this.#bodyMax) {
			return answer(key, faultBody({code: FaultCode.internal, message: `result too large: ${bytes} bytes (limit ${this.#bodyMax})`}), false);
		}

		return answer(key, body, true, bytes, last);
	}
}

function answer(key: CorrelationKey | undefined, body: string, ok: boolean, bytes = Buffer.byteLength(body, 'utf8'), last?: LastBody): EncodedFrame {
	let frame: Buffer;
	try {
		frame = last ? last.frame(key) : encodeTextFrame('response', key, body, bytes);
	} catch {
		// A tag we cannot write back (the reader should have refused it): answer untagged
		// rather than crash; the peer treats it as the answer to its one request in flight.
		frame = encodeTextFrame('response', NO_TAG, body, bytes);
	}

	return new EncodedFrame(frame, bytes, ok);
}

/** A fault body; a code XML-RPC cannot carry (not an i4) becomes -500. */
function faultBody(fault: Fault): string {
	try {
		return faultXml(fault);
	} catch {
		return faultXml({code: FaultCode.internal, message: fault.message});
	}
}
