import {encodeCall, encodeFault, encodeResponse} from '../../protocol/codec.js';
import {encodeFrame, NO_TAG} from '../../protocol/frame-encoder.js';
import {FaultCode, type Fault} from '../../protocol/value.js';
import type {CorrelationKey, Encoded, MessageWriter, Outcome, WireValue} from '../types.js';

/**
 * Messages → bytes for HTTP-framed XML-RPC. Answers never throw: whatever the handler returned,
 * something valid goes on the wire (docs/PROTOCOL.md §2: no accepted input can make an encoder
 * throw).
 */
export class XmlRpcWriter implements MessageWriter {
	readonly #bodyMax: number;

	constructor(bodyMax: number) {
		this.#bodyMax = bodyMax;
	}

	request(key: CorrelationKey, method: string, params: readonly WireValue[]): Encoded {
		let body: Buffer;
		try {
			body = encodeCall(method, params);
		} catch (error) {
			throw new Error(`cannot encode ${method}: ${(error as Error).message}`);
		}

		if (body.length > this.#bodyMax) {
			throw new Error(`${method} request too large: ${body.length} bytes (limit ${this.#bodyMax})`);
		}

		return {bytes: encodeFrame('request', key, body), body};
	}

	response(key: CorrelationKey | undefined, outcome: Outcome): Encoded & {readonly ok: boolean} {
		const {body, ok} = this.#answerBody(outcome);
		let bytes: Buffer;
		try {
			bytes = encodeFrame('response', key, body);
		} catch {
			// A tag we cannot write back (the reader should have refused it): answer untagged
			// rather than crash; the peer treats it as the answer to its one request in flight.
			bytes = encodeFrame('response', NO_TAG, body);
		}

		return {bytes, body, ok};
	}

	/** The result-size guard: an answer that cannot be encoded or would not fit is a fault. */
	#answerBody(outcome: Outcome): {body: Buffer; ok: boolean} {
		if (!outcome.ok) {
			return {body: faultBody(outcome.fault), ok: false};
		}

		let body: Buffer;
		try {
			body = encodeResponse(outcome.value);
		} catch (error) {
			return {body: faultBody({code: FaultCode.internal, message: `cannot encode the result: ${(error as Error).message}`}), ok: false};
		}

		if (body.length > this.#bodyMax) {
			return {body: faultBody({code: FaultCode.internal, message: `result too large: ${body.length} bytes (limit ${this.#bodyMax})`}), ok: false};
		}

		return {body, ok: true};
	}
}

/** A fault body; a code XML-RPC cannot carry (not an i4) becomes -500. */
function faultBody(fault: Fault): Buffer {
	try {
		return encodeFault(fault);
	} catch {
		return encodeFault({code: FaultCode.internal, message: fault.message});
	}
}
