/**
 * A hostile guest below the engine: it reads request frames and writes whatever XML it likes,
 * with control characters as character references (`&#27;`) that the project's own encoder
 * would never produce. What a compromised guest can send, the monitor must survive.
 */
import type {XmlRpcValue} from '../../../src/protocol/value.js';
import {serveRawRequests} from '../../helpers/raw-peer.js';

/** A response body, or `never` (no answer at all). */
export type RawAnswer = string | 'never';

export type RawGuest = {
	readonly methodsCalled: readonly string[];
	close(): Promise<void>;
};

/** Text as XML character data, every control character as a character reference. */
export function xmlText(text: string): string {
	return text
		.replaceAll('&', '&amp;')
		.replaceAll('<', '&lt;')
		.replaceAll('>', '&gt;')
		.replace(/[\u0000-\u001F\u007F-\u009F]/gu, char => `&#${char.charCodeAt(0)};`);
}

export function xmlValue(value: string | readonly string[]): string {
	return typeof value === 'string'
		? `<string>${xmlText(value)}</string>`
		: `<array><data>${value.map(item => `<value>${xmlValue(item)}</value>`).join('')}</data></array>`;
}

export function responseBody(value: string | readonly string[]): string {
	return `<?xml version="1.0"?><methodResponse><params><param><value>${xmlValue(value)}</value></param></params></methodResponse>`;
}

export function faultBody(code: number, message: string): string {
	return `<?xml version="1.0"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>${code}</int></value></member><member><name>faultString</name><value><string>${xmlText(message)}</string></value></member></struct></value></fault></methodResponse>`;
}

export async function startRawGuest(socketPath: string, answer: (method: string, params: readonly XmlRpcValue[]) => RawAnswer): Promise<RawGuest> {
	const methodsCalled: string[] = [];
	const peer = await serveRawRequests(socketPath, ({call, reply}) => {
		methodsCalled.push(call.method);
		const body = answer(call.method, call.params);
		if (body !== 'never') {
			reply(body);
		}
	});
	return {methodsCalled, close: peer.close};
}
