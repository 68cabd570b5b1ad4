/**
 * Checks on XML-RPC values, for the RPC catalogue: each says what it expects (for messages) and
 * reads a value into its typed form, or refuses it. Used both ways: a server checks a request's
 * parameters, a client checks the result it got back.
 */
import type {XmlRpcStruct, XmlRpcValue} from '../protocol/value.js';

/** What a check returns for a value it refuses. */
export const refused: unique symbol = Symbol('refused');

export type Check<T> = {
	/** As messages say it: `string`, `base64 bytes`, `a list of names`… */
	readonly expected: string;
	read(value: XmlRpcValue): T | typeof refused;
};

export const string: Check<string> = {
	expected: 'string',
	read: value => (typeof value === 'string' ? value : refused),
};

export const bytes: Check<Buffer> = {
	expected: 'base64 bytes',
	read: value => (Buffer.isBuffer(value) ? value : refused),
};

/** An int or i8 that fits a safe integer (XML-RPC has no unsigned type). */
export const integer: Check<number> = {
	expected: 'integer',
	read(value) {
		const number = typeof value === 'bigint' ? Number(value) : value;
		return typeof number === 'number' && Number.isSafeInteger(number) ? number : refused;
	},
};

export const boolean: Check<boolean> = {
	expected: 'boolean',
	read: value => (typeof value === 'boolean' ? value : refused),
};

/** Whatever was sent (va.ping takes anything). */
export const anything: Check<XmlRpcValue> = {
	expected: 'any value',
	read: value => value,
};

export const names: Check<string[]> = {
	expected: 'a list of names',
	read: value => (Array.isArray(value) && value.every(name => typeof name === 'string') ? [...(value as string[])] : refused),
};

/** A struct (decoded without a prototype), or refused: arrays, bytes and dates are not structs. */
export function asStruct(value: XmlRpcValue): XmlRpcStruct | undefined {
	return value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value) && !(value instanceof Date)
		? (value as XmlRpcStruct)
		: undefined;
}

/** A member of a struct, own keys only (a guest cannot smuggle `__proto__` or `toString`). */
export function member(struct: XmlRpcStruct, key: string): XmlRpcValue | undefined {
	return Object.hasOwn(struct, key) ? struct[key] : undefined;
}

/** A member read with a check; undefined when it is absent or refused. */
export function optionalMember<T>(struct: XmlRpcStruct, key: string, check: Check<T>): T | undefined {
	const value = member(struct, key);
	if (value === undefined) {
		return undefined;
	}

	const read = check.read(value);
	return read === refused ? undefined : read;
}
