import {decodeCall, decodeResponse} from '../../protocol/codec.js';
import type {DecoderEvent, Frame} from '../../protocol/frame.js';
import {FrameDecoder} from '../../protocol/frame-decoder.js';
import {NO_TAG} from '../../protocol/frame-encoder.js';
import type {FrameLimits} from '../../protocol/limits.js';
import {CodecError, FaultCode} from '../../protocol/value.js';
import type {IncomingMessage, MessageReader, ReaderEvent} from '../types.js';

/**
 * Bytes → messages for HTTP-framed XML-RPC (docs/PROTOCOL.md §2, §3): the frame decoder cuts the
 * stream into frames, the codec decodes each body. A body that does not decode is still a
 * message (its request gets a fault, its response fails its job), never an exception.
 */
export class XmlRpcReader implements MessageReader {
	readonly #limits: FrameLimits;
	#decoder: FrameDecoder;

	constructor(limits: FrameLimits) {
		this.#limits = limits;
		this.#decoder = new FrameDecoder(limits);
	}

	push(chunk: Buffer): readonly ReaderEvent[] {
		return this.#convert(this.#decoder.push(chunk));
	}

	end(): readonly ReaderEvent[] {
		return this.#convert(this.#decoder.end());
	}

	get stallDeadline(): number | undefined {
		return this.#decoder.stallDeadline;
	}

	checkStall(): readonly ReaderEvent[] {
		return this.#convert(this.#decoder.checkStall());
	}

	/** A new stream: drop any partial message of the old one. */
	reset(): void {
		this.#decoder = new FrameDecoder(this.#limits);
	}

	#convert(events: ReturnType<FrameDecoder['push']>): ReaderEvent[] {
		// In place: the decoder hands over a new array on every call and keeps nothing of it, so
		// no second array is made per chunk.
		const converted = events as unknown as ReaderEvent[];
		for (let i = 0; i < events.length; i++) {
			converted[i] = toReaderEvent(events[i]!);
		}

		return converted;
	}
}

function toReaderEvent(event: DecoderEvent): ReaderEvent {
	switch (event.type) {
		case 'frame': {
			return {type: 'message', message: toMessage(event.frame)};
		}

		case 'skipped': {
			return event;
		}

		case 'error': {
			return {type: 'error', code: event.error.code, message: event.error.message};
		}
	}
}

function toMessage(frame: Frame): IncomingMessage {
	const raw = frame.body;
	// `none` is what v6 writers (and ours) send for "no tag": the answer to the one request out.
	const key = frame.tag === NO_TAG ? undefined : frame.tag;
	if (frame.kind === 'request') {
		try {
			const call = decodeCall(raw);
			return {kind: 'request', key, method: call.method, params: call.params, raw};
		} catch (error) {
			const code = error instanceof CodecError ? error.faultCode : FaultCode.internal;
			return {kind: 'unreadable-request', key, fault: {code, message: messageOf(error)}, raw};
		}
	}

	try {
		return {kind: 'response', key, outcome: decodeResponse(raw), raw};
	} catch (error) {
		return {kind: 'unreadable-response', key, reason: messageOf(error), raw};
	}
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
