/**
 * The XML-RPC value model of PROTOCOL.md §3.
 * - string, int/i4 (number, 32-bit), i8 (bigint, or a number outside the i4 range), boolean,
 *   double (a non-integer number), base64 (Buffer), dateTime.iso8601 (Date, UTC), nil (null),
 *   array, struct (decoded on null-prototype objects).
 */
export type XmlRpcValue = string | number | bigint | boolean | null | Buffer | Date | readonly XmlRpcValue[] | XmlRpcStruct;

export type XmlRpcStruct = {readonly [key: string]: XmlRpcValue};

/** XML-RPC fault codes used on this channel (PROTOCOL.md §3). */
export const FaultCode = {
	internal: -500,
	typeError: -501,
	parseError: -503,
	methodNotFound: -506,
	methodDisabled: -508,
} as const;

export type Fault = {readonly code: number; readonly message: string};

export type DecodedCall = {readonly method: string; readonly params: readonly XmlRpcValue[]};

export type DecodedResponse = {readonly ok: true; readonly value: XmlRpcValue} | {readonly ok: false; readonly fault: Fault};

/**
 * Most arrays/structs one value may nest (PROTOCOL.md §7): deeper is refused when reading (fault
 * -501) and when writing, so whatever one end writes the other reads.
 */
export const MAX_NESTING = 64;

/**
 * A body that is not a well-formed XML-RPC message; answered with fault -503 (or -501 for a
 * nesting deeper than MAX_NESTING).
 */
export class CodecError extends Error {
	override readonly name = 'CodecError';
	readonly faultCode: number;

	constructor(message: string, options: ErrorOptions & {readonly faultCode?: number} = {}) {
		super(message, options);
		this.faultCode = options.faultCode ?? FaultCode.parseError;
	}
}
