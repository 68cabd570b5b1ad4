/**
 * A hostile guest below the engine: it reads request frames and writes whatever XML it likes,
 * with control characters as character references (`&#27;`) that the project's own encoder
 * would never produce. What a compromised guest can send, the monitor must survive.
 */
import net from 'node:net';
import {rmSync} from 'node:fs';
import {decodeCall} from '../../../src/protocol/codec.js';
import {FrameDecoder} from '../../../src/protocol/frame-decoder.js';
import {encodeFrame} from '../../../src/protocol/frame-encoder.js';
import {defaultFrameLimits} from '../../../src/protocol/limits.js';
import type {XmlRpcValue} from '../../../src/protocol/value.js';

/** A response body, or `never` (no answer at all). */
export type RawAnswer = string | 'never';

export type RawGuest = {
	readonly methodsCalled: readonly string[];
	close(): Promise<void>;
};

/** Text as XML character data, every control character as a character reference. */
export function xmlText(text: string): string {
	return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replace(/[\u0000-\u001F\u007F-\u009F]/gu, char => `&#${char.charCodeAt(0)};`);
}

export function xmlValue(value: string | readonly string[]): string {
	return typeof value === 'string' ? `<string>${xmlText(value)}</string>` : `<array><data>${value.map(item => `<value>${xmlValue(item)}</value>`).join('')}</data></array>`;
}

export function responseBody(value: string | readonly string[]): string {
	return `<?xml version="1.0"?><methodResponse><params><param><value>${xmlValue(value)}</value></param></params></methodResponse>`;
}

export function faultBody(code: number, message: string): string {
	return `<?xml version="1.0"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>${code}</int></value></member><member><name>faultString</name><value><string>${xmlText(message)}</string></value></member></struct></value></fault></methodResponse>`;
}

export async function startRawGuest(socketPath: string, answer: (method: string, params: readonly XmlRpcValue[]) => RawAnswer): Promise<RawGuest> {
	const methodsCalled: string[] = [];
	const sockets = new Set<net.Socket>();
	rmSync(socketPath, {force: true});
	const server = net.createServer(socket => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => undefined);
		const decoder = new FrameDecoder(defaultFrameLimits);
		socket.on('data', chunk => {
			for (const event of decoder.push(chunk)) {
				if (event.type !== 'frame' || event.frame.kind !== 'request') {
					continue;
				}

				const {tag, body} = event.frame;
				void Promise.resolve().then(() => decodeCall(body)).then(call => {
					methodsCalled.push(call.method);
					const reply = answer(call.method, call.params);
					if (reply !== 'never') {
						socket.write(encodeFrame('response', tag, Buffer.from(reply)));
					}
				});
			}
		});
	});
	await new Promise<void>(resolve => server.listen(socketPath, resolve));
	return {
		methodsCalled,
		async close() {
			for (const socket of sockets) {
				socket.destroy();
			}

			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
}
