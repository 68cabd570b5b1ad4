/**
 * The monitor against a hostile guest (issue #10, PROTOCOL.md §2 and §7): a real `virtagent
 * monitor` process, scripted, over a real socket to a guest written by hand. Nothing the guest
 * sends may reach the operator raw or on a line of its own, and no frame may kill the monitor.
 */
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, it} from 'vitest';
import {Agent} from '../../src/engine/agent.js';
import {MethodRegistry} from '../../src/engine/registry.js';
import {encodeCall, encodeResponse} from '../../src/protocol/codec.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {connectEndpoint} from '../../src/transport/endpoint.js';
import {serveRawRequests, type RawRequest} from '../helpers/raw-peer.js';
import {tempDir} from '../helpers/socket-pair.js';
import {ensureBuilt, runCli} from './helpers/cli.js';
import {hostileGuest} from './ui/helpers/hostile-guest.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

beforeAll(() => {
	ensureBuilt();
}, 60_000);

function socketIn(prefix: string): string {
	const {dir, remove} = tempDir(prefix);
	cleanups.push(remove);
	return path.join(dir, 'guest.sock');
}

/** Anything that could steer a terminal or start a line, other than the newlines between lines. */
const rawControl = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E]/u;

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const nestedArrays = (depth: number) => `${'<value><array><data>'.repeat(depth)}<value><int>1</int></value>${'</data></array></value>'.repeat(depth)}`;
const responseOf = (value: string) => `<?xml version="1.0"?><methodResponse><params><param>${value}</param></params></methodResponse>`;

/** A guest that answers the negotiation plainly and each va.ping with the next of `answers`. */
async function scriptedGuest(
	socketPath: string,
	answers: ReadonlyArray<(request: RawRequest) => void>,
	onConnection?: (write: (bytes: Buffer) => void) => void,
) {
	let pings = 0;
	const peer = await serveRawRequests(
		socketPath,
		request => {
			switch (request.call.method) {
				case 'system.listMethods': {
					request.reply(encodeResponse(['system.listMethods', 'va.ping']));
					break;
				}

				case 'va.capabilities': {
					request.reply(encodeResponse({version: '1.0', methods: ['va.ping']}));
					break;
				}

				case 'va.ping': {
					(answers[pings++] ?? (r => r.reply(encodeResponse('dummy'))))(request);
					break;
				}

				default: {
					request.reply(encodeResponse('dummy'));
				}
			}
		},
		socket => {
			onConnection?.(bytes => socket.write(bytes));
			socket.write(encodeFrame('request', 'g.1', encodeCall('va.hello', [])));
		},
	);
	cleanups.push(async () => peer.close());
}

describe('the monitor against a hostile guest process', () => {
	it('escapes its version in `info agent` and keeps a method name with an encoded newline on one line in `info transitions`', async () => {
		const socketPath = socketIn('va-mon-hostile-');
		const guest = await hostileGuest(socketPath);
		cleanups.push(async () => guest.close());
		const run = await runCli(['monitor', '--connect', socketPath, '-c', 'agent_capabilities; info agent; info transitions 200']);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		expect(run.stdout).not.toMatch(rawControl);
		expect(run.stdout).toContain('version: 1.0\\x1b]0;pwned\\x07\\u009b2J\\u2028sep\\nnext');
		// The forged name is in the transitions, escaped, inside the line that names its job ...
		expect(run.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} server #\d+ va\.x\\n12:00:00 FORGED job line/mu);
		// ... and no line starts with what it tried to forge.
		expect(run.stdout).not.toMatch(/^12:00:00 FORGED/mu);
	});

	it('survives a request with a bad tag, a too-deep response and a <double> of 200,000 digits; the next ping is answered', async () => {
		const socketPath = socketIn('va-mon-hostile-');
		await scriptedGuest(
			socketPath,
			[request => request.reply(responseOf(nestedArrays(65))), request => request.reply(responseOf(`<value><double>${'1'.repeat(200_000)}x</double></value>`))],
			write => {
				write(latin1(`\xffPOST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 0\r\nX-Virtagent-Client-Tag: ${'t'.repeat(3990)}\r\n\r\n`));
				write(latin1('\xffPOST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 0\r\nX-Virtagent-Client-Tag: a b\u009b\r\n\r\n'));
			},
		);
		const run = await runCli(['monitor', '--connect', socketPath, '--json', '-c', 'agent_ping; agent_ping; agent_ping']);
		const lines = run.stdout
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as {return?: unknown; error?: {class: string; desc: string}});
		expect(lines).toHaveLength(3);
		expect(lines[0]!.error?.desc).toMatch(/EPROTO|nesting deeper than 64/u);
		expect(lines[1]!.error?.desc).toMatch(/EPROTO|Expected a finite double/u);
		expect(lines[2]).toEqual({id: 3, command: 'agent_ping', return: {}});
		expect(run.code).toBe(1);
	});
});

describe("the monitor's engine against a guest that stalls (real socket)", () => {
	it('drops a stalled response body (STALLED_FRAME) and reads the next response normally', async () => {
		const socketPath = socketIn('va-mon-stall-');
		let pings = 0;
		const peer = await serveRawRequests(socketPath, request => {
			pings++;
			const frame = encodeFrame('response', request.tag, encodeResponse('dummy'));
			// The first answer stops 20 bytes short and goes silent; the second is whole.
			request.socket.write(pings === 1 ? frame.subarray(0, frame.length - 20) : frame);
		});
		cleanups.push(async () => peer.close());
		const agent = new Agent({name: 'host', registry: new MethodRegistry(), limits: {headerStallMs: 200, bodyStallMs: 200}});
		cleanups.push(() => agent.close());
		const logs: string[] = [];
		agent.subscribe(event => {
			if (event.type === 'log') {
				logs.push(event.message);
			}
		});
		agent.attach(await connectEndpoint({kind: 'unix', path: socketPath}));
		await expect(agent.call('va.ping', [], {timeoutMs: 5000})).rejects.toMatchObject({code: 'EPROTO'});
		expect(logs.some(line => /STALLED_FRAME: no body bytes for 200 ms/u.test(line))).toBe(true);
		expect(await agent.call('va.ping', [], {timeoutMs: 5000})).toBe('dummy');
	});

	it('drops a header trickled a byte at a time and never finished', async () => {
		const socketPath = socketIn('va-mon-stall-');
		let pings = 0;
		const peer = await serveRawRequests(socketPath, request => {
			pings++;
			if (pings === 1) {
				const head = latin1('\xffHTTP/1.1 200 OK\r\nContent-');
				let at = 0;
				const timer = setInterval(() => {
					if (at < head.length && !request.socket.destroyed) {
						request.socket.write(head.subarray(at, ++at));
					} else {
						clearInterval(timer);
					}
				}, 20);
				cleanups.push(() => clearInterval(timer));
			} else {
				request.reply(encodeResponse('dummy'));
			}
		});
		cleanups.push(async () => peer.close());
		const agent = new Agent({name: 'host', registry: new MethodRegistry(), limits: {headerStallMs: 200, bodyStallMs: 10_000}});
		cleanups.push(() => agent.close());
		agent.attach(await connectEndpoint({kind: 'unix', path: socketPath}));
		await expect(agent.call('va.ping', [], {timeoutMs: 5000})).rejects.toMatchObject({
			code: 'EPROTO',
			message: expect.stringMatching(/STALLED_FRAME: header not complete/u) as unknown,
		});
		expect(await agent.call('va.ping', [], {timeoutMs: 5000})).toBe('dummy');
	});
});

describe('virtagent monitor --stall-timeout (a real monitor process, a guest that stalls mid-frame)', () => {
	/** A guest whose first va.ping answer stops 20 bytes short of its Content-Length and goes silent. */
	async function stallingGuest(socketPath: string) {
		await scriptedGuest(socketPath, [
			request => request.socket.write(encodeFrame('response', request.tag, encodeResponse('dummy')).subarray(0, -20)),
			request => request.reply(encodeResponse('dummy')),
		]);
	}

	const runPings = async (socketPath: string, extra: readonly string[]) => {
		const run = await runCli(['monitor', '--connect', socketPath, '--json', '--timeout', '4', ...extra, '-c', 'agent_ping; agent_ping']);
		return run.stdout
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as {return?: unknown; error?: {desc: string; data: {code: unknown}}});
	};

	it('drops the stalled response after SECONDS and reads the next one normally', async () => {
		const socketPath = socketIn('va-mon-stall-cli-');
		await stallingGuest(socketPath);
		const [first, second] = await runPings(socketPath, ['--stall-timeout', '0.3']);
		expect(first!.error).toMatchObject({data: {code: 'EPROTO'}, desc: expect.stringMatching(/STALLED_FRAME: no body bytes for 300 ms/u) as unknown});
		expect(second).toEqual({id: 2, command: 'agent_ping', return: {}});
	});

	it('without it the default (10 s) outlasts the command: the first ping times out and its stalled body swallows the second answer', async () => {
		const socketPath = socketIn('va-mon-stall-cli-');
		await stallingGuest(socketPath);
		const [first, second] = await runPings(socketPath, []);
		expect(first!.error?.data.code).toBe('ETIMEDOUT');
		expect(second!.return).toBeUndefined();
	});

	it('refuses a value that is not seconds in (0, 3600], and --help states it', async () => {
		for (const bad of ['0', '1e3', 'x', '3601']) {
			const run = await runCli(['monitor', '--connect', '/x', '--stall-timeout', bad]);
			expect(run).toEqual({code: 2, stdout: '', stderr: `virtagent monitor: invalid --stall-timeout '${bad}' (seconds, more than 0 to 3600) (try --help)\n`});
		}

		const help = await runCli(['monitor', '--help']);
		expect(help.stdout).toMatch(
			/--stall-timeout SECONDS\n +drop a message from the guest whose header is not complete, or whose\n +body gets no byte, within this: more than 0, at most 3600 \(default 10\)/u,
		);
	});
});
