/**
 * A hostile guest on a UNIX socket, written with the project's framing and codec but none of its
 * engine: it calls a method whose name carries an encoded newline and a fake transition line,
 * says hello, answers the negotiation with a method name full of control characters and a
 * version string full of raw escape sequences and line breaks, puts raw escape sequences in
 * dmesg, never answers va.ping, and drops the stream in the middle of its reply to va.getfile
 * (then does it all again when the host reconnects).
 */
import {encodeCall, encodeResponse} from '../../../../src/protocol/codec.js';
import {encodeFrame} from '../../../../src/protocol/frame-encoder.js';
import {serveRawRequests} from '../../../helpers/raw-peer.js';

export const hostileMethod = 'va.\u009B2Jevil\u202E';

/** Raw ESC and BEL in a string value: the encoder would refuse them, so the XML is built by hand. */
export const hostileDmesg = 'boot ok\n\u001B[2J\u001B[31mRED\u001B]0;pwned\u0007 done';

/** Raw ESC/BEL/CSI, a line separator and a newline: only a hand-written body can carry ESC. */
export const hostileVersion = '1.0\u001B]0;pwned\u0007\u009B2J\u2028sep\nnext';

/** Decoded, this name holds a newline and then what looks like a transition line of its own. */
export const forgedMethodXml = 'va.x&#10;12:00:00 FORGED job line';

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
	const peer = await serveRawRequests(
		socketPath,
		({call, tag, socket, reply}) => {
			switch (call.method) {
				case 'system.listMethods': {
					reply(encodeResponse(['system.listMethods', 'va.capabilities', 'va.ping', 'va.getdmesg', 'va.getfile', hostileMethod]));
					break;
				}

				case 'va.capabilities': {
					const body = encodeResponse({version: 'VERSION', methods: ['va.ping', 'va.getdmesg', 'va.getfile', hostileMethod]});
					reply(body.toString().replace('VERSION', hostileVersion));
					break;
				}

				case 'va.getdmesg': {
					reply(rawStringResponse(hostileDmesg));
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
					reply(encodeResponse('dummy'));
				}
			}
		},
		socket => {
			connections++;
			socket.write(
				encodeFrame(
					'request',
					`f.${connections}`,
					Buffer.from(`<?xml version="1.0"?><methodCall><methodName>${forgedMethodXml}</methodName><params/></methodCall>`),
				),
			);
			socket.write(encodeFrame('request', `g.${connections}`, encodeCall('va.hello', [])));
		},
	);
	return {connections: () => connections, unansweredPings: () => pings, close: peer.close};
}
