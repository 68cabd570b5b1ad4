/**
 * agent_getfile's copier over both protocols: a real guest daemon (va.readfile), the real
 * qemu-ga (block list, checked) and the fake qemu-ga for the failures.
 */
import {createHash, randomBytes} from 'node:crypto';
import {appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectEndpoint} from '../../src/transport/endpoint.js';
import {QgaClient} from '../helpers/qga-client.js';
import {qgaSource, virtagentSource, type ChunkSource, type GuestCall} from '../../src/monitor/getfile/chunk-source.js';
import {copyGuestFile, type CopyProgress} from '../../src/monitor/getfile/copy-file.js';
import {connectHost, makeHost, startGuest, type GuestProcess, type Host} from '../guest/helpers.js';
import {startFakeQemuGa} from '../helpers/fake-qemu-ga.js';
import {startRealQemuGa, type RealQemuGa} from '../helpers/real-qemu-ga.js';
import {tempDir} from '../helpers/socket-pair.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const temp = tempDir('va-getfile-');
const guestFile = path.join(temp.dir, 'guest-data.bin');
const content = randomBytes(5 * 1024 * 1024 + 123);
let guest: GuestProcess;
let host: Host;
let qga: RealQemuGa;

beforeAll(async () => {
	writeFileSync(guestFile, content);
	guest = startGuest(['--channel', 'unix-listen', '--path', path.join(temp.dir, 'guest.sock'), '--shutdown-command', 'true']);
	host = makeHost();
	await connectHost(host, path.join(temp.dir, 'guest.sock'));
	qga = await startRealQemuGa(temp.dir);
});

afterAll(async () => {
	host?.close();
	await guest?.stop();
	await qga?.stop();
	temp.remove();
});

/** va.readfile of one guest file through the engine. */
const readfileOf = (file: string) => async (offset: number, count: number) => host.agent.call('va.readfile', [file, offset, count], {timeoutMs: 10_000});

/** A source that counts the reads in flight, and can fail or act on the Nth read. */
function watched(source: ChunkSource, onRead?: (index: number) => void): ChunkSource & {maxInFlight: number; closed: number} {
	let inFlight = 0;
	let reads = 0;
	const wrapper = {
		...source,
		maxInFlight: 0,
		closed: 0,
		async read(offset: number, count: number) {
			onRead?.(reads++);
			inFlight++;
			wrapper.maxInFlight = Math.max(wrapper.maxInFlight, inFlight);
			try {
				return await source.read(offset, count);
			} finally {
				inFlight--;
			}
		},
		async close() {
			wrapper.closed++;
			await source.close();
		},
	};
	return wrapper;
}

const leftovers = () => readdirSync(temp.dir).filter(name => name.endsWith('.part'));

describe('agent_getfile over virtagent (va.readfile)', () => {
	it('copies a file byte-exact with several reads in flight, reports progress, says it did not change', async () => {
		const source = watched(virtagentSource(readfileOf(guestFile), 3));
		const progress: CopyProgress[] = [];
		const target = path.join(temp.dir, 'copy-1.bin');
		const result = await copyGuestFile({source, target, force: false, chunkSize: 512 * 1024, onProgress: event => progress.push(event), progressEveryMs: 0});
		expect(result).toMatchObject({path: target, bytes: content.length, sha256: sha256(content), changed: false});
		expect(sha256(readFileSync(target))).toBe(sha256(content));
		expect(source.maxInFlight).toBe(3);
		expect(source.closed).toBe(1);
		expect(progress.at(-1)).toMatchObject({bytes: content.length, total: content.length, etaSeconds: 0});
		expect(progress.map(event => event.bytes)).toEqual([...progress.map(event => event.bytes)].sort((a, b) => a - b));
		expect(leftovers()).toEqual([]);
	});

	it('refuses to overwrite without -f and leaves the file alone; replaces it with -f', async () => {
		const target = path.join(temp.dir, 'existing.txt');
		writeFileSync(target, 'keep me');
		await expect(copyGuestFile({source: virtagentSource(readfileOf(guestFile), 2), target, force: false, chunkSize: 1024 * 1024})).rejects.toThrow(
			'exists (use -f',
		);
		expect(readFileSync(target, 'utf8')).toBe('keep me');
		await copyGuestFile({source: virtagentSource(readfileOf(guestFile), 2), target, force: true, chunkSize: 1024 * 1024});
		expect(sha256(readFileSync(target))).toBe(sha256(content));
	});

	it('a failure in the middle leaves no file under the final name and no temporary file', async () => {
		const target = path.join(temp.dir, 'failed.bin');
		const source = watched(virtagentSource(readfileOf(guestFile), 2), index => {
			if (index === 3) {
				throw new Error('injected read failure');
			}
		});
		await expect(copyGuestFile({source, target, force: false, chunkSize: 1024 * 1024})).rejects.toThrow('injected read failure');
		expect(existsSync(target)).toBe(false);
		expect(leftovers()).toEqual([]);
		expect(source.closed).toBe(1);
		// The guest's own fault (a missing file) the same way.
		await expect(copyGuestFile({source: virtagentSource(readfileOf(path.join(temp.dir, 'nope')), 2), target, force: false, chunkSize: 1024})).rejects.toThrow(
			'open failed',
		);
		expect(existsSync(target)).toBe(false);
	});

	it('says when the file changed during the copy', async () => {
		const growing = path.join(temp.dir, 'growing.log');
		writeFileSync(growing, randomBytes(3 * 1024 * 1024));
		const source = virtagentSource(readfileOf(growing), 1);
		const result = await copyGuestFile({
			source: watched(source, index => {
				if (index === 1) {
					appendFileSync(growing, 'more\n');
				}
			}),
			target: path.join(temp.dir, 'growing-copy.log'),
			force: false,
			chunkSize: 1024 * 1024,
		});
		expect(result.changed).toBe(true);
	});

	it('copies a procfs file whose stat size is 0 (size unknown: no change check)', async () => {
		const result = await copyGuestFile({
			source: virtagentSource(readfileOf('/proc/self/status'), 2),
			target: path.join(temp.dir, 'status.txt'),
			force: false,
			chunkSize: 256,
		});
		expect(result.bytes).toBeGreaterThan(256);
		expect(readFileSync(path.join(temp.dir, 'status.txt'), 'utf8')).toMatch(/^Name:\s/);
		expect(result.changed).toBeUndefined();
	});
});

describe('agent_getfile over qemu-ga (guest-file-read)', () => {
	it('copies from the real qemu-ga byte-exact with reads pipelined, closes the handle, cannot check for changes', async () => {
		const client = new QgaClient(await connectEndpoint({kind: 'unix', path: qga.path}), {timeoutMs: 10_000});
		const calls: string[] = [];
		const call: GuestCall = async (method, params) => {
			calls.push(method);
			return client.execute(method, params[0] as Record<string, unknown>);
		};

		try {
			const source = watched(await qgaSource(call, guestFile, 4, () => undefined));
			const target = path.join(temp.dir, 'qga-copy.bin');
			const result = await copyGuestFile({source, target, force: false, chunkSize: 1024 * 1024});
			expect(result).toMatchObject({bytes: content.length, sha256: sha256(content), changed: undefined});
			expect(source.maxInFlight).toBe(4);
			expect(calls[0]).toBe('guest-file-open');
			expect(calls.at(-1)).toBe('guest-file-close');
		} finally {
			client.close();
		}
	});

	it('closes the handle after a failure; a handle whose close could not be sent is handed back as left over', async () => {
		const fake = await startFakeQemuGa(path.join(temp.dir, 'fake-qga.sock'));
		fake.files.set('/guest/file', {data: randomBytes(100_000)});
		const client = new QgaClient(await connectEndpoint({kind: 'unix', path: fake.path}), {timeoutMs: 2000});
		const call: GuestCall = async (method, params) => client.execute(method, params[0] as Record<string, unknown>);
		try {
			let reads = 0;
			fake.override('guest-file-read', (request, connection) => {
				if (++reads === 3) {
					connection.error(request, 'GenericError', 'read failed: injected');
					return true;
				}

				return false;
			});
			const left: number[] = [];
			const target = path.join(temp.dir, 'fake-copy.bin');
			await expect(
				copyGuestFile({source: await qgaSource(call, '/guest/file', 2, handle => left.push(handle)), target, force: false, chunkSize: 10_000}),
			).rejects.toThrow('injected');
			expect(fake.openHandles.size).toBe(0);
			expect(left).toEqual([]);
			expect(existsSync(target)).toBe(false);

			// The connection drops in the middle: the close cannot be delivered; the handle is left over.
			fake.override('guest-file-read', (_request, connection) => {
				connection.close();
				return true;
			});
			await expect(
				copyGuestFile({source: await qgaSource(call, '/guest/file', 2, handle => left.push(handle)), target, force: false, chunkSize: 10_000}),
			).rejects.toThrow('closed');
			expect(left).toEqual([...fake.openHandles]);
			expect(left).toHaveLength(1);
			expect(leftovers()).toEqual([]);
		} finally {
			client.close();
			await fake.close();
		}
	});
});
