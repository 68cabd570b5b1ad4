import {encodeCall, encodeResponse} from '../../src/protocol/codec.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {defaultFrameLimits} from '../../src/protocol/limits.js';

/** A tag as long as the agent's (`xxxxxx.N`), so that the echo moves the same bytes. */
const typicalTag = 'a1b2c3.12345';

/** Bytes on the wire for one va.ping request and its response. */
export function pingFrameSizes(): {readonly request: number; readonly reply: number} {
	return {
		request: encodeFrame('request', typicalTag, encodeCall('va.ping', [])).length,
		reply: encodeFrame('response', typicalTag, encodeResponse('dummy')).length,
	};
}

/** The largest file whose va.getfile reply (base64 in XML) fits the default body limit. */
export function largestGetfileBytes(bodyMax = defaultFrameLimits.bodyMax): number {
	const overhead = encodeResponse(Buffer.alloc(3)).length - 4;
	let bytes = Math.floor((bodyMax - overhead) / 4) * 3;
	while (encodeResponse(Buffer.alloc(bytes)).length > bodyMax) {
		bytes -= 3;
	}

	return bytes;
}
