/**
 * A host written by hand on a raw socket, for hostile-host tests of the guest daemon: it can send
 * any bytes, and reads the guest's frames with the project's decoder.
 */
import net from 'node:net';
import {decodeResponse, encodeCall} from '../../src/protocol/codec.js';
import type {Frame} from '../../src/protocol/frame.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import type {Fault, XmlRpcValue} from '../../src/protocol/value.js';
import {waitFor} from './socket-pair.js';

export type RawHost = {
	readonly socket: net.Socket;
	readonly frames: Frame[];
	/** Send a well-formed request and wait for its answer: the value, or the fault. */
	request(tag: string, method: string, params?: readonly XmlRpcValue[]): Promise<XmlRpcValue | Fault>;
	/** Wait for the answer to a request sent by hand (any body) under `tag`. */
	answer(tag: string, timeoutMs?: number): Promise<XmlRpcValue | Fault>;
};

export async function rawHost(socketPath: string): Promise<RawHost> {
	const socket = net.connect(socketPath);
	await new Promise((resolve, reject) => {
		socket.once('connect', resolve);
		socket.once('error', reject);
	});
	const decoder = new FrameDecoder();
	const frames: Frame[] = [];
	socket.on('data', chunk => {
		for (const event of decoder.push(chunk)) {
			if (event.type === 'frame') {
				frames.push(event.frame);
			}
		}
	});
	const host: RawHost = {
		socket,
		frames,
		async request(tag, method, params = []) {
			socket.write(encodeFrame('request', tag, encodeCall(method, params)));
			return host.answer(tag);
		},
		async answer(tag, timeoutMs = 5000) {
			const find = () => frames.find(frame => frame.kind === 'response' && frame.tag === tag);
			await waitFor(() => find() !== undefined, timeoutMs, `the answer to ${tag}`);
			const response = decodeResponse(find()!.body);
			return response.ok ? response.value : response.fault;
		},
	};
	return host;
}
