/**
 * The RPC catalogue (docs/PROTOCOL.md §5): one entry per method, with who serves it, its
 * parameters and a guard on its result. The guest registers its handlers from it, its
 * --allow-rpcs/--block-rpcs accept its names, the monitor's commands and its negotiation call
 * through it, so a request and its answer are checked the same way at both ends.
 *
 * Adding an RPC: an entry here (and in `rpcs` below), and its handler file in src/guest/rpcs/
 * (the handler table there does not compile until it has one).
 */
import {RpcFault, VirtagentError} from '../engine/errors.js';
import {FaultCode, type XmlRpcValue} from '../protocol/value.js';
import {asStruct, bytes, integer, member, names, optionalMember, refused, string, type Check} from './checks.js';

export type Param<T> = {readonly name: string; readonly check: Check<T>};

export type Peer = 'guest' | 'host';

export type Rpc<P extends readonly unknown[] = readonly unknown[], R = unknown, S extends readonly Peer[] = readonly Peer[]> = {
	readonly name: string;
	readonly help: string;
	/** Which ends serve it. */
	readonly servedBy: S;
	/** The parameters as `help` and messages name them; `any` takes whatever is sent. */
	readonly params: readonly Param<unknown>[] | 'any';
	/** A request's parameters, checked: throws RpcFault -501 (the server's answer). */
	readParams(params: readonly XmlRpcValue[]): P;
	/** An answer, checked: throws VirtagentError EPROTO (the peer broke the protocol). */
	readResult(value: XmlRpcValue): R;
	/** The parameters as sent (the caller's typed values are already XML-RPC values). */
	readonly encode: (params: P) => readonly XmlRpcValue[];
};

type Values<P extends readonly Param<unknown>[]> = {readonly [I in keyof P]: P[I] extends Param<infer T> ? T : never};

type Spec<P, R, S> = {
	readonly name: string;
	readonly help: string;
	readonly servedBy: S;
	readonly params: P;
	readonly result: Check<R>;
};

function param<T>(name: string, check: Check<T>): Param<T> {
	return {name, check};
}

function checkResult<R>(name: string, check: Check<R>, value: XmlRpcValue): R {
	const read = check.read(value);
	if (read === refused) {
		throw new VirtagentError('EPROTO', `${name} returned ${describeValue(value)}, expected ${check.expected}`);
	}

	return read;
}

export function defineRpc<const P extends readonly Param<unknown>[], R, const S extends readonly Peer[]>(spec: Spec<P, R, S>): Rpc<Values<P>, R, S> {
	const parameters: readonly Param<unknown>[] = spec.params;
	return {
		name: spec.name,
		help: spec.help,
		servedBy: spec.servedBy,
		params: spec.params,
		readParams(params) {
			if (parameters.length === 0 && params.length > 0) {
				throw new RpcFault(FaultCode.typeError, `expected no parameters, got ${params.length}`);
			}

			const values = parameters.map(({name, check}, index) => {
				const value = params[index];
				const read = value === undefined ? refused : check.read(value);
				if (read === refused) {
					const which = `parameter ${index + 1} (${name})`;
					throw new RpcFault(
						FaultCode.typeError,
						value === undefined ? `missing ${which}: ${check.expected} expected` : `${which}: ${check.expected} expected`,
					);
				}

				return read;
			});
			if (params.length > parameters.length) {
				throw new RpcFault(FaultCode.typeError, `expected ${parameters.length} parameter${parameters.length === 1 ? '' : 's'}, got ${params.length}`);
			}

			return values as unknown as Values<P>;
		},
		readResult: value => checkResult(spec.name, spec.result, value),
		encode: params => params as unknown as readonly XmlRpcValue[],
	};
}

/** An RPC that takes any parameters (va.ping). */
function anyParams<R, const S extends readonly Peer[]>(spec: Spec<'any', R, S>): Rpc<readonly XmlRpcValue[], R, S> {
	return {
		...spec,
		readParams: params => params,
		readResult: value => checkResult(spec.name, spec.result, value),
		encode: params => params,
	};
}

/** `dummy`: what an RPC with nothing to say answers. */
const dummy: Check<string> = {...string, expected: 'a string'};

export type Capabilities = {
	readonly version: string | undefined;
	/** The methods that end serves, when it says. */
	readonly methods: readonly string[] | undefined;
	/** How many requests it holds at once and its largest body (newer peers, §4). */
	readonly limits: {readonly serverQueue: number | undefined; readonly body: number | undefined} | undefined;
};

const capabilities: Check<Capabilities> = {
	expected: 'a struct {version, methods, limits}',
	read(value) {
		const struct = asStruct(value);
		if (struct === undefined) {
			return refused;
		}

		const limitsValue = member(struct, 'limits');
		const limits = limitsValue === undefined ? undefined : asStruct(limitsValue);
		return {
			version: optionalMember(struct, 'version', string),
			methods: optionalMember(struct, 'methods', names),
			limits: limits === undefined ? undefined : {serverQueue: optionalMember(limits, 'serverQueue', integer), body: optionalMember(limits, 'body', integer)},
		};
	},
};

export const rpcs = {
	listMethods: defineRpc({
		name: 'system.listMethods',
		help: 'List the methods this end serves.',
		servedBy: ['guest', 'host'],
		params: [],
		result: names,
	}),
	capabilities: defineRpc({
		name: 'va.capabilities',
		help: 'The protocol version, the methods this end serves and its limits.',
		servedBy: ['guest', 'host'],
		params: [],
		result: capabilities,
	}),
	ping: anyParams({
		name: 'va.ping',
		help: 'Answer "dummy": this end is alive.',
		servedBy: ['guest', 'host'],
		params: 'any',
		result: dummy,
	}),
	hello: defineRpc({
		name: 'va.hello',
		help: 'The guest agent is up; the host then negotiates its methods.',
		servedBy: ['host'],
		params: [],
		result: dummy,
	}),
	getfile: defineRpc({
		name: 'va.getfile',
		help: 'The contents of a file in the guest (base64).',
		servedBy: ['guest'],
		params: [param('path', string)],
		result: bytes,
	}),
	getdmesg: defineRpc({
		name: 'va.getdmesg',
		help: 'The last 16 KiB of the guest kernel log.',
		servedBy: ['guest'],
		params: [],
		result: string,
	}),
	shutdown: defineRpc({
		name: 'va.shutdown',
		help: 'Halt, power down or reboot the guest (after the reply, and a delay).',
		servedBy: ['guest'],
		params: [param('mode', string)],
		result: dummy,
	}),
} as const;

export type RpcKey = keyof typeof rpcs;

/** The catalogue keys of what `peer` serves, as a type (a handler table must cover them). */
export type ServedBy<P extends Peer> = {[K in RpcKey]: P extends (typeof rpcs)[K]['servedBy'][number] ? K : never}[RpcKey];

/** The typed parameters of an entry. */
export type ParamsOf<T> = T extends Rpc<infer P, unknown, readonly Peer[]> ? P : never;

/** Every entry, in the catalogue's order. */
export const allRpcs: readonly Rpc[] = Object.values(rpcs) as readonly Rpc[];

/** The methods one end serves, sorted (what --allow-rpcs and --block-rpcs accept on the guest). */
export function servedBy(peer: Peer): readonly string[] {
	return allRpcs
		.filter(rpc => rpc.servedBy.includes(peer))
		.map(rpc => rpc.name)
		.sort();
}

/** `nil`, `an array`, `a string`… for protocol error messages (never the guest's text itself). */
export function describeValue(value: XmlRpcValue): string {
	if (value === null) {
		return 'nil';
	}

	if (Array.isArray(value)) {
		return 'an array';
	}

	if (Buffer.isBuffer(value)) {
		return 'base64 bytes';
	}

	if (value instanceof Date) {
		return 'a dateTime';
	}

	return typeof value === 'object' ? 'a struct' : `a ${typeof value}`;
}
