import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {decodeCall, decodeResponse} from '../../src/protocol/codec.js';
import {encodeFrame} from '../../src/protocol/frame-encoder.js';
import {rawHost, type RawHost} from '../helpers/raw-host.js';
import {tempDir} from '../helpers/socket-pair.js';
import {startGuest, waitFor, type GuestProcess} from './helpers.js';

describe('garbage and over-limit frames from the host', () => {
	const temp = tempDir('va-guest-framing-');
	const socketPath = path.join(temp.dir, 'guest.sock');
	let guest: GuestProcess;
	let host: RawHost;

	beforeAll(async () => {
		guest = startGuest(['--channel', 'unix-listen', '--path', socketPath]);
		await guest.waitForLine(/ info: listening on /);
		host = await rawHost(socketPath);
	});

	afterAll(async () => {
		host.socket.destroy();
		expect(await guest.stop()).toBe(0);
		temp.remove();
	});

	it('the guest says va.hello first, as a well-formed request', async () => {
		await waitFor(() => host.frames.length > 0);
		expect(host.frames[0]!.kind).toBe('request');
		expect((await decodeCall(host.frames[0]!.body)).method).toBe('va.hello');
	});

	it('skips garbage before a frame (logged) and answers the request after it', async () => {
		host.socket.write(Buffer.from('line noise \x00\x01\x02 not a frame '));
		expect(await host.request('t1', 'va.ping')).toBe('dummy');
		await guest.waitForLine(/ warning: guest: skipped \d+ bytes of garbage before a frame/);
	});

	it('rejects an over-limit Content-Length with a named error, resyncs, and answers the next request', async () => {
		const from = guest.lines.length;
		host.socket.write(
			Buffer.from('\xffPOST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 3000000\r\nX-Virtagent-Client-Tag: big\r\n\r\n', 'latin1'),
		);
		host.socket.write(Buffer.alloc(64 * 1024, 'x')); // part of the announced body: skipped
		expect(await host.request('t2', 'va.ping')).toBe('dummy');
		await guest.waitForLine(/ err: guest: framing error: BODY_TOO_LONG: /, {from});
		expect(host.frames.some(frame => frame.tag === 'big')).toBe(false);
	});

	it('rejects a bad start line and a non-decimal Content-Length, then carries on', async () => {
		const from = guest.lines.length;
		host.socket.write(Buffer.from('\xffGET / HTTP/1.1\r\n\r\n', 'latin1'));
		host.socket.write(Buffer.from('\xffPOST /RPC2 HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n', 'latin1'));
		expect(await host.request('t3', 'va.ping')).toBe('dummy');
		await guest.waitForLine(/ err: guest: framing error: BAD_START_LINE: /, {from});
		await guest.waitForLine(/ err: guest: framing error: BAD_CONTENT_LENGTH: /, {from});
	});

	it('answers a body that is not XML-RPC with fault -503', async () => {
		host.socket.write(encodeFrame('request', 't4', Buffer.from('<methodCall><oops')));
		await waitFor(() => host.frames.some(frame => frame.tag === 't4'));
		const response = await decodeResponse(host.frames.find(frame => frame.tag === 't4')!.body);
		expect(response.ok ? undefined : response.fault.code).toBe(-503);
		expect(await host.request('t5', 'va.ping')).toBe('dummy');
		expect(guest.child.exitCode).toBeNull();
	});
});
