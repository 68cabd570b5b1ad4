import {listenEndpoint} from '../../src/transport/endpoint.js';
import {sequentialRate} from '../lib/clock.js';
import {type BenchOptions, scratch, withCleanup} from '../lib/context.js';
import {benchModule} from '../lib/paths.js';
import {startChild, waitForLine} from '../lib/process.js';
import {type CaseResult, compare, present} from '../lib/result.js';
import {type Contender, interleave} from '../lib/rounds.js';
import {pingFrameSizes} from '../lib/sizes.js';
import {attachFirst, benchAgent, connectAgent} from '../peers/agents.js';
import {connectEchoClient, startEchoServer} from '../peers/echo.js';
import {startOptionalPeers} from '../peers/optional.js';
import {startStandIn} from '../peers/stand-in.js';

const unit = 'calls/s';

/**
 * Cases 1 and 2: va.ping round trips, one at a time, host→guest over a UNIX socket, against a
 * raw echo of the same sizes and against qemu-ga's guest-ping. Every contender runs in every
 * round, so their ratios share the machine's noise.
 */
export async function pingCase(options: BenchOptions): Promise<CaseResult> {
	const notes: string[] = [];
	const contenders: Contender[] = [];
	const rate = (name: string, call: () => Promise<unknown>): Contender => ({name, unit, run: async () => sequentialRate(options.calls, call)});
	const sizes = pingFrameSizes();
	notes.push(`echo messages: ${sizes.request} bytes out, ${sizes.reply} back (a va.ping request and response frame)`);

	const figures = await withCleanup(async defer => {
		const work = scratch('ping');
		defer(work.remove);

		// In one process: what the engine, framer and codec cost, with no second process to wait for.
		const echoServer = await startEchoServer(work.file('echo-local.sock'), sizes);
		defer(async () => echoServer.close());
		const localEcho = await connectEchoClient(work.file('echo-local.sock'), sizes);
		defer(localEcho.close);
		const guest = benchAgent('guest', {getfile: false});
		const listener = await listenEndpoint({kind: 'unix', path: work.file('pair.sock')}, attachFirst(guest));
		defer(async () => listener.close());
		defer(() => guest.close());
		const host = await connectAgent(work.file('pair.sock'), 'host');
		defer(() => host.close());
		contenders.push(
			rate('raw echo, in-process', async () => localEcho.roundTrip()),
			rate('va.ping, engine pair in-process', async () => host.call('va.ping')),
		);

		// Across processes: the host here, the guest on its own.
		const echoChild = startChild(process.execPath, [benchModule('peers/echo-main.js'), work.file('echo.sock'), String(sizes.request), String(sizes.reply)]);
		defer(echoChild.stop);
		await waitForLine(echoChild, /^ready$/);
		const echo = await connectEchoClient(work.file('echo.sock'), sizes);
		defer(echo.close);
		const standIn = await startStandIn(work.file('stand-in.sock'));
		defer(standIn.stop);
		contenders.push(
			rate('raw echo, child process', async () => echo.roundTrip()),
			rate('va.ping → stand-in guest process', async () => standIn.host.call('va.ping')),
		);
		const {daemon, qemuGa} = await startOptionalPeers(work, defer, notes);
		if (daemon) {
			contenders.push(rate('va.ping → virtagent guest daemon', async () => daemon.host.call('va.ping')));
		}

		if (qemuGa) {
			contenders.push(rate('qemu-ga guest-ping', async () => qemuGa.client.execute('guest-ping')));
		}

		return interleave(contenders, options);
	});

	return {
		id: 'ping',
		title: '1–2. va.ping round trips, one at a time, host→guest over a UNIX socket',
		figures,
		comparisons: present([
			compare(figures, 'engine pair / raw echo (in-process)', 'va.ping, engine pair in-process', 'raw echo, in-process', {op: '>=', value: 0.8}),
			compare(figures, 'guest daemon / raw echo (processes)', 'va.ping → virtagent guest daemon', 'raw echo, child process', {op: '>=', value: 0.8}),
			compare(figures, 'guest daemon / qemu-ga', 'va.ping → virtagent guest daemon', 'qemu-ga guest-ping', {op: '>=', value: 1}),
			compare(figures, 'stand-in guest / raw echo (processes)', 'va.ping → stand-in guest process', 'raw echo, child process'),
			compare(figures, 'stand-in guest / qemu-ga', 'va.ping → stand-in guest process', 'qemu-ga guest-ping'),
			// The ceiling for any guest written in Node: an echo that does no work at all.
			compare(figures, "raw echo child / qemu-ga (Node's ceiling)", 'raw echo, child process', 'qemu-ga guest-ping'),
		]),
		checks: [],
		notes,
	};
}
