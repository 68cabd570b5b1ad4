/**
 * `node dist/bench/profile/micro.js`: microseconds per operation of each piece of the ping hot
 * path (codec, framer), measured alone, to see where a round trip's time goes.
 */
import {decodeCall, decodeResponse, encodeCall, encodeResponse} from '../../src/protocol/codec.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';

async function perOp(name: string, count: number, operation: () => unknown): Promise<void> {
	for (let i = 0; i < count / 10; i++) {
		await operation();
	}

	const start = performance.now();
	for (let i = 0; i < count; i++) {
		await operation();
	}

	const micros = ((performance.now() - start) * 1000) / count;
	console.log(`${micros.toFixed(2).padStart(8)} µs  ${name}`);
}

const count = Number(process.argv[2] ?? 50_000);
const call = encodeCall('va.ping', []);
const response = encodeResponse('dummy');
const requestFrame = encodeFrame('request', 'a1b2c3.12345', call);
const responseFrame = encodeFrame('response', 'a1b2c3.12345', response);
const decoder = new FrameDecoder();

await perOp('encodeCall va.ping', count, () => encodeCall('va.ping', []));
await perOp('encodeResponse "dummy"', count, () => encodeResponse('dummy'));
await perOp('encodeFrame request', count, () => encodeFrame('request', 'a1b2c3.12345', call));
await perOp('FrameDecoder.push request frame', count, () => decoder.push(requestFrame));
await perOp('FrameDecoder.push response frame', count, () => decoder.push(responseFrame));
await perOp('decodeCall va.ping', count, async () => decodeCall(call));
await perOp('decodeResponse "dummy"', count, async () => decodeResponse(response));
await perOp('a resolved await (reference)', count, async () => undefined);
await perOp('setTimeout + clearTimeout (reference)', count, () => clearTimeout(setTimeout(() => undefined, 5000)));
