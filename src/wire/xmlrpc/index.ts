import {defaultFrameLimits} from '../../protocol/limits.js';
import {keyCounterText, type CorrelationKey, type ResyncRequest, type WireLimits, type WireProtocol, type WireProtocolFactory} from '../types.js';
import {XmlRpcReader} from './reader.js';
import {XmlRpcWriter} from './writer.js';

/**
 * virtagent's own wire protocol: HTTP-framed XML-RPC (docs/PROTOCOL.md §2, §3). Both ends
 * serve; every request is answered; tags keep the stream in step, so it never needs a resync.
 */
export class XmlRpcProtocol implements WireProtocol {
	readonly name = 'xmlrpc';
	readonly reader: XmlRpcReader;
	readonly writer: XmlRpcWriter;
	readonly hasServerSide = true;
	/**
	 * Tags are `<random>.<n>`: a late answer from an earlier connection never matches. Not a
	 * secret, so Math.random: node:crypto would be the guest daemon's costliest module to load
	 * before its hello (~5% of its start-up instructions).
	 */
	readonly #tagPrefix = Math.floor(Math.random() * 0x1000000)
		.toString(16)
		.padStart(6, '0');
	#nextTag = 1;

	constructor(options: WireLimits) {
		const limits = {
			headerMax: options.headerMax ?? defaultFrameLimits.headerMax,
			bodyMax: options.bodyMax,
			headerStallMs: options.headerStallMs ?? defaultFrameLimits.headerStallMs,
			bodyStallMs: options.bodyStallMs ?? defaultFrameLimits.bodyStallMs,
		};
		this.reader = new XmlRpcReader(limits);
		this.writer = new XmlRpcWriter(limits.bodyMax);
	}

	nextKey(): CorrelationKey {
		return `${this.#tagPrefix}.${keyCounterText(this.#nextTag++)}`;
	}

	expectsReply(): boolean {
		return true;
	}

	resyncRequest(): ResyncRequest | undefined {
		return undefined;
	}

	abandoned(): void {
		// Tags match late answers to their abandoned requests: nothing to do.
	}

	reset(): void {
		this.reader.reset();
	}
}

export const xmlRpcProtocol: WireProtocolFactory = options => new XmlRpcProtocol(options);
