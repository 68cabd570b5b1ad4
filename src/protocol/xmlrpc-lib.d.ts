/**
 * Local types for the deep-imported files of the `xmlrpc` package (1.3.x, unmaintained since 2016;
 * `@types/xmlrpc` only covers its client/server). Only what the codec and its tests touch, plus
 * the Deserializer's internal state and SAX handlers, which the codec drives directly.
 */

declare module 'xmlrpc/lib/customtype.js' {
	/** A value written as `<tagName>raw</tagName>`; subclass and set `tagName` on the prototype. */
	class CustomType {
		constructor(raw: string);
		raw: string;
		tagName: string;
		serialize(xml: unknown): unknown;
	}
	export = CustomType;
}

declare module 'xmlrpc/lib/serializer.js' {
	/** A whole document, `<?xml version="1.0"?>` included. THROWS on characters XML forbids. */
	export function serializeMethodCall(method: string, params?: readonly unknown[], encoding?: string): string;
	export function serializeMethodResponse(result: unknown): string;
	/** Serializes `fault` as a value: an Error becomes an empty struct. */
	export function serializeFault(fault: unknown): string;
}

declare module 'xmlrpc/lib/date_formatter.js' {
	type DateFormatterOptions = {
		readonly colons?: boolean;
		readonly hyphens?: boolean;
		/** Encode local time (the default) instead of UTC with a `Z` suffix. */
		readonly local?: boolean;
		readonly ms?: boolean;
		readonly offset?: boolean;
	};
	/** A process-wide singleton: `setOpts` changes encoding for every user of the package. */
	const dateFormatter: {
		readonly opts: Required<DateFormatterOptions>;
		setOpts(opts?: DateFormatterOptions): void;
		/** A time without an offset is read in the host's LOCAL zone, whatever `setOpts` says. */
		decodeIso8601(time: string): Date;
		encodeIso8601(date: Date): string;
	};
	export = dateFormatter;
}

declare module 'xmlrpc/lib/deserializer.js' {
	type DeserializerSource = {
		setEncoding(encoding: string): unknown;
		on(event: 'error', listener: (error: Error) => void): unknown;
		pipe(destination: DeserializerSink): unknown;
	};
	/** Where the source is piped: a SAX stream in the library, anything with write/end will do. */
	type DeserializerSink = {write(chunk: string): unknown; end(): unknown};
	type SaxTag = {readonly name: string};
	/** `error.faultCode` (own property) is set when the message was a fault. */
	type DeserializerError = Error & {faultCode?: unknown; faultString?: unknown};

	class Deserializer {
		constructor(encoding?: string);
		deserializeMethodCall(
			stream: DeserializerSource,
			callback: (error: DeserializerError | null | undefined, method?: string, params?: unknown[]) => void,
		): void;
		deserializeMethodResponse(
			stream: DeserializerSource,
			callback: (error: DeserializerError | null | undefined, value?: unknown) => void,
		): void;

		// Internal state (set by the constructor).
		type: 'methodcall' | 'methodresponse' | null;
		responseType: 'params' | 'fault' | null;
		stack: unknown[];
		marks: number[];
		data: string[];
		methodname: string | null;
		encoding: string;
		value: boolean;
		callback: ((error: DeserializerError | null | undefined, result?: unknown[]) => void) | null;
		error: Error | null;
		parser: DeserializerSink;

		// SAX handlers; tag names are expected UPPER-CASE (sax's non-strict mode).
		onOpentag(tag: SaxTag): void;
		onClosetag(name: string): void;
		onText(text: string): void;
		onCDATA(text: string): void;
		onDone(): void;
		onError(error: Error | string): void;
		push(value: unknown): void;

		// Per-type value handlers, called with the element's text.
		endNil(data: string): void;
		endBoolean(data: string): void;
		endInt(data: string): void;
		endI8(data: string): void;
		endDouble(data: string): void;
		endString(data: string): void;
		endArray(data: string): void;
		endStruct(data: string): void;
		endBase64(data: string): void;
		endDateTime(data: string): void;
		endValue(data: string): void;
	}
	export = Deserializer;
}
