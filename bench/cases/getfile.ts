import {randomBytes} from 'node:crypto';
import {writeFileSync} from 'node:fs';
import type {Agent} from '../../src/engine/agent.js';
import {listenEndpoint} from '../../src/transport/endpoint.js';
import {elapsedMs} from '../lib/clock.js';
import {type BenchOptions, scratch, withCleanup} from '../lib/context.js';
import {type CaseResult, type Comparison, compare, present} from '../lib/result.js';
import {type Contender, interleave} from '../lib/rounds.js';
import {largestGetfileBytes} from '../lib/sizes.js';
import {attachFirst, benchAgent, connectAgent} from '../peers/agents.js';
import {startOptionalPeers} from '../peers/optional.js';
import {readFileThroughQemuGa} from '../peers/qemu-ga.js';
import {startStandIn} from '../peers/stand-in.js';

const unit = 'MiB/s';
const mebibyte = 1024 * 1024;

type Reader = {readonly name: string; read(file: string, bytes: number): Promise<Buffer>};

/**
 * Case 3: va.getfile MiB/s of file bytes for the largest file that fits in one reply and for
 * 64 KiB, against qemu-ga's guest-file-open/read/close of the same file. One operation = the
 * whole file from request to bytes in hand; each round repeats it.
 */
export async function getfileCase(options: BenchOptions): Promise<CaseResult> {
	const notes: string[] = [];
	const largest = largestGetfileBytes();
	const sizes = [
		{label: '64 KiB', bytes: 64 * 1024, reads: options.quick ? 20 : 100},
		{label: `${(largest / mebibyte).toFixed(2)} MiB`, bytes: largest, reads: options.quick ? 3 : 10},
	];
	notes.push(`largest file that fits one reply under the 2 MiB body limit: ${largest.toLocaleString('en-US')} bytes`);

	const figures = await withCleanup(async defer => {
		const work = scratch('getfile');
		defer(work.remove);
		const readers: Reader[] = [];

		const guest = benchAgent('guest', {getfile: true});
		const listener = await listenEndpoint({kind: 'unix', path: work.file('pair.sock')}, attachFirst(guest));
		defer(async () => listener.close());
		defer(() => guest.close());
		const host = await connectAgent(work.file('pair.sock'), 'host');
		defer(() => host.close());
		readers.push({name: 'engine pair in-process', read: async file => getfile(host, file)});

		const standIn = await startStandIn(work.file('stand-in.sock'));
		defer(standIn.stop);
		readers.push({name: 'stand-in guest process', read: async file => getfile(standIn.host, file)});
		const {daemon, qemuGa} = await startOptionalPeers(work, defer, notes);
		if (daemon) {
			readers.push({name: 'virtagent guest daemon', read: async file => getfile(daemon.host, file)});
		}

		if (qemuGa) {
			// The figure to beat is qemu-ga at its best: told the size, one read of exactly the file.
			readers.push(
				{name: 'qemu-ga read, count = size', read: async (file, bytes) => readFileThroughQemuGa(qemuGa.client, file, bytes + 1)},
				{name: 'qemu-ga read, count = 48 MiB', read: async file => readFileThroughQemuGa(qemuGa.client, file)},
			);
		}

		const contenders: Contender[] = [];
		for (const size of sizes) {
			const file = work.file(`file-${size.bytes}`);
			const content = randomBytes(size.bytes);
			writeFileSync(file, content);
			for (const reader of readers) {
				// A figure for wrong bytes would be worthless: check each reader once first.
				const got = await reader.read(file, size.bytes);
				if (!got.equals(content)) {
					throw new Error(`${reader.name} returned ${got.length} bytes that differ from the ${size.bytes}-byte file`);
				}

				contenders.push({
					name: `${size.label}: ${reader.name}`,
					unit,
					async run() {
						const ms = await elapsedMs(async () => {
							for (let i = 0; i < size.reads; i++) {
								await reader.read(file, size.bytes);
							}
						});
						return (size.bytes * size.reads) / mebibyte / (ms / 1000);
					},
				});
			}
		}

		return interleave(contenders, options);
	});

	const comparisons: Array<Comparison | undefined> = [];
	for (const size of sizes) {
		comparisons.push(
			compare(figures, `${size.label}: guest daemon / qemu-ga`, `${size.label}: virtagent guest daemon`, `${size.label}: qemu-ga read, count = size`, {
				op: '>=',
				value: 1,
			}),
			compare(
				figures,
				`${size.label}: guest daemon / qemu-ga (48 MiB count)`,
				`${size.label}: virtagent guest daemon`,
				`${size.label}: qemu-ga read, count = 48 MiB`,
			),
			compare(figures, `${size.label}: stand-in guest / qemu-ga`, `${size.label}: stand-in guest process`, `${size.label}: qemu-ga read, count = size`),
			compare(figures, `${size.label}: engine pair / qemu-ga`, `${size.label}: engine pair in-process`, `${size.label}: qemu-ga read, count = size`),
		);
	}

	return {
		id: 'getfile',
		title: '3. va.getfile throughput of file bytes, against qemu-ga guest-file-read',
		figures,
		comparisons: present(comparisons),
		checks: [],
		notes,
	};
}

async function getfile(agent: Agent, file: string): Promise<Buffer> {
	const value = await agent.call('va.getfile', [file]);
	if (!Buffer.isBuffer(value)) {
		throw new TypeError(`va.getfile answered a ${typeof value}, not bytes`);
	}

	return value;
}
