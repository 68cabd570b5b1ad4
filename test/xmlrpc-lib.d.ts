/**
 * Local types for the deep-imported files of the `xmlrpc` package (1.3.x, unmaintained since 2016;
 * `@types/xmlrpc` only covers its client/server). The library is the reference the codec's tests
 * compare with; only its public entry points are declared.
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
	/** Where the source is piped: the library's SAX stream. */
	type DeserializerSink = NodeJS.WritableStream;
	/** `error.faultCode` (own property) is set when the message was a fault. */
	type DeserializerError = Error & {faultCode?: unknown; faultString?: unknown};

	class Deserializer {
		constructor(encoding?: string);
		deserializeMethodCall(
			stream: DeserializerSource,
			callback: (error: DeserializerError | null | undefined, method?: string, params?: unknown[]) => void,
		): void;
		deserializeMethodResponse(stream: DeserializerSource, callback: (error: DeserializerError | null | undefined, value?: unknown) => void): void;
	}
	export = Deserializer;
}
