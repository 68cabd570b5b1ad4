/*
 * The generator of hostile cases. A case is a few steps of raw bytes on the socket (written at
 * once, trickled, or followed by silence or a hang-up), built for one direction: requests (what
 * a hostile host sends the guest, or a hostile guest sends the monitor) or responses (a hostile
 * guest answering the monitor's pending request, whose tag it is given).
 */
import type {Random} from './random.js';
import {hostileValue, nested, scalarFillers} from './values.js';
import {callXml, frame, type FrameKind, rawFrame, responseXml, startLine} from './wire.js';

export type Step =
	| {readonly type: 'write'; readonly bytes: Buffer}
	| {readonly type: 'trickle'; readonly bytes: Buffer; readonly everyMs: number}
	| {readonly type: 'silence'; readonly ms: number}
	| {readonly type: 'pause-reading'}
	| {readonly type: 'resume-reading'}
	| {readonly type: 'hang-up'};

export type HostileCase = {
	readonly cls: CaseClass;
	/** What was sent, in a few words, for the report. */
	readonly label: string;
	readonly frames: number;
	readonly steps: readonly Step[];
	/** How long the good request after this case may take, beyond the normal bound. */
	readonly extraMs: number;
	/** Tags of requests in this case that must each be answered (docs/PROTOCOL.md §4). */
	readonly mustAnswer: readonly string[];
};

export const caseClasses = [
	'tag',
	'header',
	'nesting',
	'deep-nesting',
	'number',
	'big-number',
	'date',
	'base64',
	'string',
	'xml',
	'mutate',
	'random',
	'partial',
	'flood',
	'slow-reader',
	'stall',
] as const;
export type CaseClass = (typeof caseClasses)[number];

/** How often each class comes up: the slow ones (seconds each) rarely. */
const weights: Record<CaseClass, number> = {
	tag: 10,
	header: 10,
	nesting: 6,
	'deep-nesting': 2,
	number: 8,
	'big-number': 1,
	date: 5,
	base64: 5,
	string: 8,
	xml: 8,
	mutate: 10,
	random: 6,
	partial: 4,
	flood: 1,
	'slow-reader': 0.3,
	stall: 0.3,
};

export type CaseContext = {
	readonly direction: FrameKind;
	/** The tag the hostile frame answers (responses) or a fresh unique one (requests). */
	readonly tag: () => string;
	/** Methods worth calling on this end. */
	readonly methods: readonly string[];
	/** A file of about a megabyte for replies that fill a socket (requests to the guest only). */
	readonly bigFile: string | undefined;
	/** Stall timeout the program is expected to apply to a started frame. */
	readonly stallMs: number;
};

const hostileTags = ['a b', 'caf\u00e9', 'x'.repeat(4020), 'x'.repeat(65), '', ' ', 'a:b', 'a\u0001b', 'tag\u001B[2J', '\u00ff', 'a\tb', '\u00c3\u00a9'];
const headerVariants = [
	'Content-Length: -1',
	'Content-Length: ',
	'Content-Length: 0x10',
	'Content-Length: +5',
	'Content-Length: 99999999999999999999',
	'Content-Length: 2097153',
	'Content-Length: 1e3',
	'Content-Length: 5, 6',
	'content-length: 0',
	'CONTENT-LENGTH: 1',
	'X-Other: ' + 'y'.repeat(4100),
	'no colon at all',
	': empty name',
	'Content-Length:\u00a05',
];
const startLineVariants = ['GET / HTTP/1.1', 'POST /RPC2 HTTP/1.1 extra', 'HTTP/1.1 500 Oops', 'HTTP/2 200', '', 'P\u00d8ST /RPC2 HTTP/1.1', 'x'.repeat(5000)];

export function pickClass(random: Random, enabled: readonly CaseClass[]): CaseClass {
	const total = enabled.reduce((sum, cls) => sum + weights[cls], 0);
	let at = random.next() * total;
	for (const cls of enabled) {
		at -= weights[cls];
		if (at < 0) {
			return cls;
		}
	}

	return enabled.at(-1)!;
}

function body(context: CaseContext, random: Random, value: string): string {
	return context.direction === 'request' ? callXml(random.pick(context.methods), [value]) : responseXml(value);
}

function one(cls: CaseClass, label: string, bytes: Buffer, extra: Partial<HostileCase> = {}): HostileCase {
	return {cls, label, frames: 1, steps: [{type: 'write', bytes}], extraMs: 0, mustAnswer: [], ...extra};
}

function mutateBytes(random: Random, bytes: Buffer): Buffer {
	const out = Buffer.from(bytes);
	const edits = 1 + random.int(8);
	for (let i = 0; i < edits; i++) {
		const at = random.int(out.length);
		out[at] = random.pick([0x00, 0x0a, 0x0d, 0x20, 0x3c, 0x3e, 0x26, 0xff, 0x80, random.int(256)]);
	}

	return out;
}

/** One hostile case of the given class. */
export function makeCase(cls: CaseClass, random: Random, context: CaseContext): HostileCase {
	const kind = context.direction;
	switch (cls) {
		case 'tag': {
			const tag = random.pick(hostileTags);
			const xml = body(context, random, '<string>t</string>');
			if (random.chance(0.3)) {
				const lines = [
					'Content-Type: text/xml',
					`Content-Length: ${Buffer.byteLength(xml)}`,
					`X-Virtagent-Client-Tag: ${context.tag()}`,
					`X-Virtagent-Client-Tag: ${context.tag()}-2`,
				];
				return one(cls, 'two tags', rawFrame(startLine(kind), lines, Buffer.from(xml)));
			}

			return one(cls, `tag ${JSON.stringify(tag.slice(0, 12))} (${tag.length} chars)`, frame(kind, tag, xml));
		}

		case 'header': {
			const xml = Buffer.from(body(context, random, '<string>h</string>'));
			if (random.chance(0.3)) {
				return one(
					cls,
					'start line',
					rawFrame(
						random.pick(startLineVariants),
						['Content-Type: text/xml', `Content-Length: ${xml.length}`, `X-Virtagent-Client-Tag: ${context.tag()}`],
						xml,
					),
				);
			}

			if (random.chance(0.2)) {
				// A v5 peer: no sentinel; then stray bytes before one.
				const bare = rawFrame(
					startLine(kind),
					['Content-Type: text/xml', `Content-Length: ${xml.length}`, `X-Virtagent-Client-Tag: ${context.tag()}`],
					xml,
					false,
				);
				return one(cls, 'no sentinel + junk', Buffer.concat([bare, Buffer.from('junk\r\n\r\n'), random.bytes(32)]));
			}

			const variant = random.pick(headerVariants);
			const lines = ['Content-Type: text/xml', variant, `X-Virtagent-Client-Tag: ${context.tag()}`];
			if (!variant.toLowerCase().startsWith('content-length')) {
				lines.splice(1, 0, `Content-Length: ${xml.length}`);
			}

			return one(cls, `header ${JSON.stringify(variant.slice(0, 30))}`, rawFrame(startLine(kind), lines, xml));
		}

		case 'nesting': {
			const depth = random.pick([63, 64, 65, 100, 500]);
			const shape = random.chance(0.5) ? 'array' : 'struct';
			return one(cls, `${shape} nested ${depth}`, frame(kind, context.tag(), body(context, random, nested(depth, shape))));
		}

		case 'deep-nesting': {
			const depth = random.pick([3000, 20_000]);
			const shape = random.chance(0.5) ? 'array' : 'struct';
			return one(cls, `${shape} nested ${depth}`, frame(kind, context.tag(), body(context, random, nested(depth, shape))));
		}

		case 'number':
		case 'date':
		case 'base64':
		case 'string': {
			const value = hostileValue(random);
			return one(cls, `value ${JSON.stringify(value.slice(0, 40))}`, frame(kind, context.tag(), body(context, random, value)));
		}

		case 'big-number': {
			const type = random.pick(['double', 'double-exp', 'int', 'i8', 'dateTime.iso8601']);
			return one(cls, `${type} of 200,000 digits`, frame(kind, context.tag(), body(context, random, scalarFillers[type]!(200_000))), {extraMs: 5000});
		}

		case 'xml': {
			const good = body(context, random, hostileValue(random));
			const variants = [
				good.slice(0, random.int(good.length)),
				good.replace('<?xml version="1.0"?>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'),
				good.replace('<?xml version="1.0"?>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'),
				good + good,
				kind === 'request' ? responseXml('<int>1</int>') : callXml('va.ping', []),
				'<methodCall><methodName>va.ping&#10;forged line</methodName><params/></methodCall>',
				'<methodCall><methodName>\u001B]0;x\u0007</methodName></methodCall>',
				`<methodCall><methodName>${'m'.repeat(100_000)}</methodName></methodCall>`,
				'<methodResponse><fault><value><struct></struct></value></fault></methodResponse>',
				'<methodResponse><fault><value><struct><member><name>faultCode</name><value><string>x</string></value></member></struct></value></fault></methodResponse>',
				'<methodResponse><params></params></methodResponse>',
				'\u00ef\u00bb\u00bf<?xml version="1.0" encoding="UTF-16"?><methodCall/>',
				'<a>'.repeat(10_000),
				'',
			];
			return one(cls, 'xml variant', frame(kind, context.tag(), random.pick(variants)));
		}

		case 'mutate': {
			const good = frame(kind, context.tag(), body(context, random, hostileValue(random)));
			return one(cls, 'mutated frame', mutateBytes(random, good));
		}

		case 'random': {
			return one(cls, 'random bytes', random.bytes(1 + random.int(4096)));
		}

		case 'partial': {
			const good = frame(kind, context.tag(), body(context, random, '<string>cut</string>'));
			const cut = good.subarray(0, 1 + random.int(good.length - 1));
			// Cut inside the header: the next sentinel restarts reading. Cut inside the body: hang up.
			return {
				cls,
				label: `cut at ${cut.length}/${good.length}, then hang up`,
				frames: 1,
				steps: [{type: 'write', bytes: cut}, {type: 'hang-up'}],
				extraMs: 0,
				mustAnswer: [],
			};
		}

		case 'flood': {
			const count = 10_000;
			const tags: string[] = [];
			const frames: Buffer[] = [];
			for (let i = 0; i < count; i++) {
				const tag = context.tag();
				tags.push(tag);
				frames.push(frame(kind, tag, kind === 'request' ? callXml('va.ping', []) : responseXml('<string>f</string>')));
			}

			// Responses nobody asked for need no answer; requests all do (§4).
			return {
				cls,
				label: `${count} frames in one write`,
				frames: count,
				steps: [{type: 'write', bytes: Buffer.concat(frames)}],
				extraMs: 60_000,
				mustAnswer: kind === 'request' ? tags : [],
			};
		}

		case 'slow-reader': {
			const frames: Buffer[] = [];
			for (let i = 0; i < 8; i++) {
				frames.push(
					context.bigFile !== undefined && kind === 'request'
						? frame(kind, context.tag(), callXml('va.getfile', [`<string>${context.bigFile}</string>`]))
						: frame(kind, context.tag(), callXml('va.ping', [`<string>${'p'.repeat(1_000_000)}</string>`])),
				);
			}

			const steps: Step[] = [{type: 'pause-reading'}, {type: 'write', bytes: Buffer.concat(frames)}, {type: 'silence', ms: 8000}, {type: 'resume-reading'}];
			return {cls, label: 'big replies never read for 8 s', frames: frames.length, steps, extraMs: 10_000, mustAnswer: []};
		}

		case 'stall': {
			const good = frame(kind, context.tag(), body(context, random, '<string>stall</string>'));
			const headerEnd = good.indexOf('\r\n\r\n');
			if (random.chance(0.5)) {
				// A header a byte per 100 ms, never finished (well past the stall timeout).
				const padded = Buffer.from(`\u00ff${startLine(kind)}\r\nX-Pad: ${'a'.repeat(Math.ceil((context.stallMs + 2000) / 100))}`, 'latin1');
				const steps: Step[] = [{type: 'trickle', bytes: padded, everyMs: 100}];
				return {cls, label: 'header trickled a byte per 100 ms', frames: 1, steps, extraMs: context.stallMs + 5000, mustAnswer: []};
			}

			const short = good.subarray(0, headerEnd + 4 + random.int(good.length - headerEnd - 4));
			return {
				cls,
				label: 'short body, then silence',
				frames: 1,
				steps: [
					{type: 'write', bytes: short},
					{type: 'silence', ms: context.stallMs + 1500},
				],
				extraMs: context.stallMs + 5000,
				mustAnswer: [],
			};
		}
	}
}
