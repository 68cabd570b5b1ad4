/**
 * A fast path for the codec's XML parsing: the plain documents XML-RPC peers actually send
 * (elements without attributes, text, the five predefined entities and character references,
 * an optional `<?xml version=… encoding=…?>` declaration) are scanned with indexOf and slices,
 * instead of sax's character-by-character state machine.
 *
 * Contract: for a document it accepts, the scanner reports exactly the events sax (strict mode,
 * no options) reports for it, in the same order, so that the codec's handlers build the same
 * value. Anything else (comments, CDATA, doctype, attributes, non-ASCII names, any entity sax
 * would complain about, text outside the root, unbalanced tags) is declined: `scanXml` returns
 * false, possibly after reporting some events, and the caller starts over with sax on fresh
 * state. Declining is never an error; errors stay sax's business.
 *
 * Why: a profile of va.ping round trips (PROTOCOL.md §5) showed sax at about a third of the CPU
 * time of an engine pair; a 1.5 MB va.getfile reply is one 2 MB text node that sax walks a
 * character at a time.
 */

export type XmlEvents = {
	/** An element starts; `name` as written in the document. */
	readonly open: (name: string) => void;
	/** An element ends (also right after `open` for `<name/>`). */
	readonly close: (name: string) => void;
	/** Text between two tags, entities decoded; never empty. */
	readonly text: (text: string) => void;
};

/** `<?xml version="1.x"[ encoding="…"][ standalone="yes|no"]?>` at the very start. */
const declaration = /^<\?xml\s+version\s*=\s*(["'])1\.[0-9]\1(?:\s+encoding\s*=\s*(["'])[A-Za-z][\w.-]*\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?\s*\?>/;
const usualDeclaration = '<?xml version="1.0"?>';
/** ASCII XML names only; sax accepts more, and those go to sax. */
const name = /^[A-Za-z_][\w.-]*$/;
const whitespace = /^[ \t\r\n]*$/;
const entity = /&([^;&<]{0,8});/y;
const predefined: Readonly<Record<string, string>> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"};

/** Scans `xml`, reporting events; false means "declined: parse this with sax instead". */
export function scanXml(xml: string, events: XmlEvents): boolean {
	let at = 0;
	if (xml.startsWith(usualDeclaration)) {
		at = usualDeclaration.length; // What codec.ts writes: no pattern needed.
	} else if (xml.startsWith('<?')) {
		const match = declaration.exec(xml);
		if (!match) {
			return false;
		}

		at = match[0].length;
	} else if (!xml.startsWith('<')) {
		return false; // Leading whitespace or a BOM: sax's BEGIN states, not worth mirroring.
	}

	const open: string[] = [];
	let sawRoot = false;
	let closedRoot = false;
	while (at < xml.length) {
		const lt = xml.indexOf('<', at);
		const end = lt < 0 ? xml.length : lt;
		if (end > at) {
			const raw = xml.slice(at, end);
			if (!sawRoot || closedRoot) {
				// Outside the root sax allows only whitespace; it still reports it as text.
				if (!whitespace.test(raw)) {
					return false;
				}

				events.text(raw);
			} else {
				const text = decodeText(raw);
				if (text === undefined) {
					return false;
				}

				events.text(text);
			}
		}

		if (lt < 0) {
			break;
		}

		const gt = xml.indexOf('>', lt + 1);
		if (gt < 0) {
			return false;
		}

		if (xml.charCodeAt(lt + 1) === 0x2f) {
			// `</name>`: compared in place, not cut out
			const closing = open.pop();
			if (closing === undefined || gt !== lt + 2 + closing.length || !xml.startsWith(closing, lt + 2)) {
				return false;
			}

			events.close(closing);
			closedRoot = open.length === 0;
		} else {
			const selfClosing = xml.charCodeAt(gt - 1) === 0x2f;
			const opening = xml.slice(lt + 1, selfClosing ? gt - 1 : gt);
			if (closedRoot || !name.test(opening)) {
				return false;
			}

			sawRoot = true;
			events.open(opening);
			if (selfClosing) {
				events.close(opening);
				closedRoot = open.length === 0;
			} else {
				open.push(opening);
			}
		}

		at = gt + 1;
	}

	return sawRoot && closedRoot;
}

/** Text with its entities decoded, or undefined where sax would complain (or might differ). */
function decodeText(raw: string): string | undefined {
	let amp = raw.indexOf('&');
	if (amp < 0) {
		return raw;
	}

	let out = '';
	let from = 0;
	while (amp >= 0) {
		entity.lastIndex = amp;
		const match = entity.exec(raw);
		if (!match) {
			return undefined;
		}

		const decoded = decodeEntity(match[1]!);
		if (decoded === undefined) {
			return undefined;
		}

		out += raw.slice(from, amp) + decoded;
		from = entity.lastIndex;
		amp = raw.indexOf('&', from);
	}

	return out + raw.slice(from);
}

function decodeEntity(body: string): string | undefined {
	const known = predefined[body];
	if (known !== undefined) {
		return known;
	}

	// Character references without leading zeros (sax compares the digits it parsed back with
	// what was written, and its leading-zero rule has corner cases not worth copying).
	let code: number;
	if (/^#x[1-9a-fA-F][0-9a-fA-F]{0,5}$/.test(body)) {
		code = Number.parseInt(body.slice(2), 16);
	} else if (/^#[1-9][0-9]{0,6}$/.test(body)) {
		code = Number.parseInt(body.slice(1), 10);
	} else {
		return undefined;
	}

	// XML's Char production; sax writes the others through, but nothing honest sends them.
	const isChar =
		code === 0x9 ||
		code === 0xa ||
		code === 0xd ||
		(code >= 0x20 && code <= 0xd7ff) ||
		(code >= 0xe000 && code <= 0xfffd) ||
		(code >= 0x1_0000 && code <= 0x10_ffff);
	return isChar ? String.fromCodePoint(code) : undefined;
}
