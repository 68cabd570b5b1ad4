/*
 * The fuzzer's own view of the wire (docs/PROTOCOL.md §2), written apart from src/protocol so
 * that it can build what the project's encoder refuses and read what a broken peer sends.
 */

export type FrameKind = 'request' | 'response';

const startLines: Record<FrameKind, string> = {request: 'POST /RPC2 HTTP/1.1', response: 'HTTP/1.1 200 OK'};

/** A frame from its parts, byte for byte: header lines are written as latin1 (one byte a char). */
export function rawFrame(startLine: string, headerLines: readonly string[], body: Buffer, sentinel = true): Buffer {
	const head = [startLine, ...headerLines, '', ''].join('\r\n');
	return Buffer.concat([sentinel ? Buffer.from([0xff]) : Buffer.alloc(0), Buffer.from(head, 'latin1'), body]);
}

/** A well-formed frame, with a tag that may break the grammar (it is written as given). */
export function frame(kind: FrameKind, tag: string, body: Buffer | string): Buffer {
	const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
	return rawFrame(startLines[kind], ['Content-Type: text/xml', `Content-Length: ${bytes.length}`, `X-Virtagent-Client-Tag: ${tag}`], bytes);
}

export function startLine(kind: FrameKind): string {
	return startLines[kind];
}

export function callXml(method: string, params: readonly string[]): string {
	const inner = params.map(value => `<param><value>${value}</value></param>`).join('');
	return `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${inner}</params></methodCall>`;
}

export function responseXml(value: string): string {
	return `<?xml version="1.0"?><methodResponse><params><param><value>${value}</value></param></params></methodResponse>`;
}

export function faultXml(code: number, message: string): string {
	return (
		'<?xml version="1.0"?><methodResponse><fault><value><struct>' +
		`<member><name>faultCode</name><value><int>${code}</int></value></member>` +
		`<member><name>faultString</name><value><string>${message}</string></value></member>` +
		'</struct></value></fault></methodResponse>'
	);
}

export type ReadFrame = {
	readonly kind: FrameKind | 'other';
	readonly tag: string | undefined;
	readonly body: Buffer;
};

const crlf2 = Buffer.from('\r\n\r\n');

/**
 * Reads the frames a program under test writes. Tolerant (it skips what it cannot read) and
 * bounded by what the programs may legally send; the fuzzer's checks are about which tags come back.
 */
export class FrameReader {
	#buffer: Buffer = Buffer.alloc(0);

	push(chunk: Buffer): ReadFrame[] {
		this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
		const frames: ReadFrame[] = [];
		let at = 0;
		for (;;) {
			const start = this.#buffer.indexOf(0xff, at);
			if (start < 0) {
				at = this.#buffer.length;
				break;
			}

			const end = this.#buffer.indexOf(crlf2, start + 1);
			if (end < 0) {
				at = start;
				break;
			}

			const lines = this.#buffer.toString('latin1', start + 1, end).split('\r\n');
			let length = 0;
			let tag: string | undefined;
			for (const line of lines.slice(1)) {
				const colon = line.indexOf(':');
				const name = line.slice(0, colon).trim().toLowerCase();
				const value = line.slice(colon + 1).trim();
				if (name === 'content-length') {
					length = Number(value);
				} else if (name === 'x-virtagent-client-tag') {
					tag = value;
				}
			}

			const bodyStart = end + 4;
			if (this.#buffer.length < bodyStart + length) {
				at = start;
				break;
			}

			const kind = lines[0]!.startsWith('POST ') ? 'request' : lines[0]!.startsWith('HTTP/') ? 'response' : 'other';
			frames.push({kind, tag, body: this.#buffer.subarray(bodyStart, bodyStart + length)});
			at = bodyStart + length;
		}

		this.#buffer = Buffer.from(this.#buffer.subarray(at));
		return frames;
	}
}

/** The method name of a request body, for answering the program's own calls. */
export function methodOf(body: Buffer): string {
	const text = body.toString('utf8', 0, Math.min(body.length, 512));
	const open = text.indexOf('<methodName>');
	const close = text.indexOf('</methodName>', open);
	return open < 0 || close < 0 ? '' : text.slice(open + '<methodName>'.length, close).trim();
}
