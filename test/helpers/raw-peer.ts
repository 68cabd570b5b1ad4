/**
 * A peer below the engine, for hostile-guest tests: a UNIX socket server that decodes request
 * frames and lets the test answer each one however it likes (hand-made XML, a cut-off frame,
 * nothing at all).
 */
import {rmSync} from 'node:fs';
import net from 'node:net';
import {decodeCall} from '../../src/protocol/codec.js';
import {FrameDecoder} from '../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import type {DecodedCall} from '../../src/protocol/value.js';

export type RawRequest = {
	readonly call: DecodedCall;
	readonly tag: string | undefined;
	readonly socket: net.Socket;
	/** Answer with this body, framed as a response carrying the request's tag. */
	reply(body: Buffer | string): void;
};

export type RawPeer = {
	close(): Promise<void>;
};

export async function serveRawRequests(
	socketPath: string,
	onRequest: (request: RawRequest) => void,
	onConnection?: (socket: net.Socket) => void,
): Promise<RawPeer> {
	const sockets = new Set<net.Socket>();
	const server = net.createServer(socket => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => undefined);
		const decoder = new FrameDecoder();
		socket.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type !== 'frame' || event.frame.kind !== 'request') {
					continue;
				}

				const {tag, body} = event.frame;
				onRequest({
					call: decodeCall(body),
					tag,
					socket,
					reply(answer) {
						socket.write(encodeFrame('response', tag, Buffer.from(answer)));
					},
				});
			}
		});
		onConnection?.(socket);
	});
	rmSync(socketPath, {force: true});
	await new Promise<void>(resolve => server.listen(socketPath, resolve));
	return {
		async close() {
			for (const socket of sockets) {
				socket.destroy();
			}

			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
}
