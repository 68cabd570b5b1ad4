/**
 * A hostile guest on a UNIX socket, written with the project's framing and codec but none of its
 * engine: it says hello, answers the negotiation with a method name full of control characters,
 * puts raw escape sequences in dmesg, never answers va.ping, and drops the stream in the middle
 * of its reply to va.getfile (then says hello again when the host reconnects).
 */
import {rmSync} from 'node:fs';
import net from 'node:net';
import {decodeCall, encodeCall, encodeResponse} from '../../../../src/protocol/codec.js';
import {FrameDecoder} from '../../../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../../../src/protocol/frame-encoder.js';

export const hostileMethod = 'va.\u009B2Jevil\u202E';

/** Raw ESC and BEL in a string value: the encoder would refuse them, so the XML is built by hand. */
export const hostileDmesg = 'boot ok\n\u001B[2J\u001B[31mRED\u001B]0;pwned\u0007 done';

function rawStringResponse(text: string): Buffer {
	return Buffer.from(`<?xml version="1.0"?><methodResponse><params><param><value><string>${text}</string></value></param></params></methodResponse>`);
}

export type HostileGuest = {
	/** Connections accepted so far (the host reconnects after a drop). */
	readonly connections: () => number;
	/** va.ping requests received and left unanswered. */
	readonly unansweredPings: () => number;
	close(): Promise<void>;
};

export async function hostileGuest(socketPath: string): Promise<HostileGuest> {
	let connections = 0;
	let pings = 0;
	const sockets = new Set<net.Socket>();
	const server = net.createServer(socket => {
		connections++;
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => undefined);
		const decoder = new FrameDecoder();
		const reply = (tag: string | undefined, body: Buffer) => socket.write(encodeFrame('response', tag, body));
		socket.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type !== 'frame' || event.frame.kind !== 'request') {
					continue;
				}

				const {tag, body} = event.frame;
				void Promise.resolve().then(() => decodeCall(body)).then(call => {
					switch (call.method) {
						case 'system.listMethods': {
							reply(tag, encodeResponse(['system.listMethods', 'va.ping', 'va.getdmesg', 'va.getfile', hostileMethod]));
							break;
						}

						case 'va.capabilities': {
							reply(tag, encodeResponse({version: '1.0', methods: ['va.ping', 'va.getdmesg', 'va.getfile', hostileMethod]}));
							break;
						}

						case 'va.getdmesg': {
							reply(tag, rawStringResponse(hostileDmesg));
							break;
						}

						case 'va.getfile': {
							const frame = encodeFrame('response', tag, encodeResponse(Buffer.from('the first half of a file')));
							socket.write(frame.subarray(0, frame.length - 40), () => socket.destroy());
							break;
						}

						case 'va.ping': {
							pings++; // Never answered.
							break;
						}

						default: {
							reply(tag, encodeResponse('dummy'));
						}
					}
				});
			}
		});
		socket.write(encodeFrame('request', `g.${connections}`, encodeCall('va.hello', [])));
	});
	rmSync(socketPath, {force: true});
	await new Promise<void>(resolve => server.listen(socketPath, resolve));
	return {
		connections: () => connections,
		unansweredPings: () => pings,
		async close() {
			for (const socket of sockets) {
				socket.destroy();
			}

			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
}
