import type {CorrelationKey, Encoded, MessageWriter, WireValue} from '../types.js';
import {maxJsonDepth} from './json.js';
import {encodeRequest} from './messages.js';

/**
 * Messages → bytes for qemu-ga: `{"execute": …, "arguments": {…}, "id": KEY}\n`. The params are
 * empty or ONE struct, made only of JSON values (a Buffer, a Date or a bigint cannot be sent).
 * A sync is written after a 0xFF, which makes qemu-ga drop whatever half-request an earlier
 * client left in its parser.
 */
export class QgaWriter implements MessageWriter {
	readonly #lineMax: number;
	readonly #onRequest: (key: CorrelationKey, method: string, args: Readonly<Record<string, unknown>> | undefined) => void;

	/** `onRequest` hears of every request encoded (the protocol tracks syncs and no-reply ones). */
	constructor(lineMax: number, onRequest: (key: CorrelationKey, method: string, args: Readonly<Record<string, unknown>> | undefined) => void) {
		this.#lineMax = lineMax;
		this.#onRequest = onRequest;
	}

	request(key: CorrelationKey, method: string, params: readonly WireValue[]): Encoded {
		const args = argumentsOf(method, params);
		const body = encodeRequest(method, args, key);
		if (body.length > this.#lineMax) {
			throw new Error(`${method} request too large: ${body.length} bytes (limit ${this.#lineMax})`);
		}

		this.#onRequest(key, method, args);
		if (method === 'guest-sync-delimited') {
			return {bytes: Buffer.concat([Buffer.of(0xff), body]), body};
		}

		return {bytes: body, body};
	}

	/** qemu-ga never calls the host, so there is nothing to answer: nothing is written. */
	response(): Encoded & {readonly ok: boolean} {
		return {bytes: Buffer.alloc(0), body: Buffer.alloc(0), ok: false};
	}
}

function argumentsOf(method: string, params: readonly WireValue[]): Record<string, unknown> | undefined {
	if (params.length === 0) {
		return undefined;
	}

	const [args] = params;
	if (params.length > 1 || !isPlainObject(args)) {
		throw new Error(`${method}: qemu-ga takes one JSON object of arguments`);
	}

	checkJsonValue(args);
	return args as Record<string, unknown>;
}

function isPlainObject(value: unknown): boolean {
	if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value) || value instanceof Date) {
		return false;
	}

	const prototype = Object.getPrototypeOf(value) as unknown;
	return prototype === Object.prototype || prototype === null;
}

/** Plain JSON all the way down (objects, arrays, strings, finite numbers, booleans, null), at most 64 deep; no recursion. */
function checkJsonValue(root: unknown): void {
	const stack: Array<{value: unknown; depth: number}> = [{value: root, depth: 1}];
	while (stack.length > 0) {
		const {value, depth} = stack.pop()!;
		if (value === null || typeof value === 'string' || typeof value === 'boolean') {
			continue;
		}

		if (typeof value === 'number') {
			if (!Number.isFinite(value)) {
				throw new TypeError(`cannot send ${value} as JSON`);
			}

			continue;
		}

		if (depth > maxJsonDepth) {
			throw new Error(`arguments nested deeper than ${maxJsonDepth} levels`);
		}

		if (Array.isArray(value)) {
			for (const item of value) {
				stack.push({value: item, depth: depth + 1});
			}
		} else if (isPlainObject(value)) {
			for (const item of Object.values(value as object)) {
				stack.push({value: item, depth: depth + 1});
			}
		} else {
			throw new TypeError(`cannot send ${Buffer.isBuffer(value) ? 'bytes' : value instanceof Date ? 'a date' : `a ${typeof value}`} as JSON`);
		}
	}
}
