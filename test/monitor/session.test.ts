import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {retryDelay} from '../../src/monitor/connection.js';
import type {SessionEvent} from '../../src/monitor/session-api.js';
import {allCommands} from '../../commands/index.js';
import type {Session} from '../../src/monitor/session.js';
import {openSession, type SessionOptions} from '../../src/monitor/open-session.js';
import {liveLog} from '../../src/monitor/ui/screen-model.js';
import {gate} from '../helpers/gate.js';
import {tempDir, waitFor} from '../helpers/socket-pair.js';
import {serveRawRequests} from '../helpers/raw-peer.js';
import {faultBody, responseBody, startRawGuest} from './helpers/raw-guest.js';
import {startFakeGuest, type FakeGuest, type FakeGuestOptions} from './helpers/fake-guest.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

type Setup = {session: Session; guest: FakeGuest; events: SessionEvent[]; socketPath: string};

async function setup(guestOptions: Omit<FakeGuestOptions, 'socketPath'> = {}, sessionOptions: Partial<SessionOptions> = {}): Promise<Setup> {
	const {dir, remove} = tempDir('va-session-');
	cleanups.push(remove);
	const socketPath = path.join(dir, 'va.sock');
	const guest = await startFakeGuest({socketPath, ...guestOptions});
	cleanups.push(async () => guest.close());
	const session = await openSession({
		commands: allCommands,
		target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}},
		timeoutMs: 2000,
		retryMinMs: 20,
		retryMaxMs: 100,
		...sessionOptions,
	});
	cleanups.push(async () => session.close());
	const events: SessionEvent[] = [];
	session.subscribe(event => events.push(event));
	return {session, guest, events, socketPath};
}

async function negotiated(session: Session): Promise<void> {
	await waitFor(() => session.status.guest.methods !== undefined, 3000, 'negotiation');
}

describe('connecting and the handshake', () => {
	it('negotiates by itself on connect and shows the hello with its time', async () => {
		const before = Date.now();
		const {session, events} = await setup();
		await negotiated(session);
		await waitFor(() => session.status.guest.helloAt !== undefined, 3000, 'hello');
		expect(session.status.connection.state).toBe('connected');
		expect(session.status.channel).toMatch(/^unix:.*va\.sock$/);
		expect(session.status.guest.version).toBe('1.0');
		expect(session.status.guest.methods).toEqual(['system.listMethods', 'va.capabilities', 'va.getdmesg', 'va.getfile', 'va.ping', 'va.shutdown']);
		expect(session.status.guest.helloAt).toBeGreaterThanOrEqual(before);
		expect(events.some(event => event.type === 'hello')).toBe(true);
		const info = await session.execute('info agent');
		expect(info.ok).toBe(true);
		expect(info.text).toMatch(
			/^channel: unix:.*\nconnection: connected since \d\d:\d\d:\d\d\.\d{3} \(.*\)\nprotocol: virtagent\nhello: \d\d:\d\d:\d\d\.\d{3} \(.* ago\)\nversion: 1\.0\nmethods: 6: system\.listMethods va\.capabilities/u,
		);
	});

	it('interactively, the gate fails agent_* at once until the methods are known; agent_capabilities opens it', async () => {
		let capabilityCalls = 0;
		const first = gate();
		const {session} = await setup(
			{
				hello: false,
				setup(registry) {
					registry.register('va.capabilities', 'held on its first call', async () => {
						capabilityCalls++;
						if (capabilityCalls === 1) {
							await first.promise;
						}

						return {version: '1.0', methods: registry.listMethods()};
					});
				},
			},
			{timeoutMs: 1500},
		);
		await waitFor(() => capabilityCalls === 1 && session.status.connection.state === 'connected');
		const gated = await session.execute('agent_ping');
		expect(gated).toMatchObject({
			ok: false,
			text: 'error: VirtagentFailed (ENOTCONN): guest agent has not said hello; run agent_capabilities',
			error: {class: 'VirtagentFailed', data: {code: 'ENOTCONN'}},
		});
		expect(gated.ms).toBeLessThan(200);
		first.open();
		const capabilities = await session.execute('agent_capabilities');
		expect(capabilities.text.split('\n')).toEqual([
			'the following RPC methods are supported by the guest agent:',
			'system.listMethods',
			'va.capabilities',
			'va.getdmesg',
			'va.getfile',
			'va.ping',
			'va.shutdown',
		]);
		expect(session.status.guest.methods).toHaveLength(6);
		await expect(session.execute('agent_ping')).resolves.toMatchObject({ok: true, text: 'ok'});
	});

	it('in scripted mode a command waits for the handshake instead of failing the gate', async () => {
		const {session} = await setup(
			{
				hello: false,
				setup(registry) {
					const list = () => registry.listMethods();
					registry.register('system.listMethods', 'slow', async () => {
						await new Promise(resolve => setTimeout(resolve, 150));
						return list();
					});
				},
			},
			{waitForGuest: true},
		);
		expect(session.status.guest.methods).toBeUndefined();
		await expect(session.execute('agent_ping')).resolves.toMatchObject({ok: true, text: 'ok'});
	});

	it('a method the guest disabled fails locally with ENOSYS', async () => {
		const {session, guest} = await setup({disable: ['va.shutdown']});
		await negotiated(session);
		const outcome = await session.execute('agent_shutdown reboot');
		expect(outcome).toMatchObject({ok: false, error: {class: 'VirtagentFailed', data: {code: 'ENOSYS'}}});
		expect(outcome.text).toBe(
			'error: VirtagentFailed (ENOSYS): agent_shutdown reboot: va.shutdown is not supported by the guest agent (see agent_capabilities)',
		);
		expect(guest.shutdowns).toEqual([]);
	});

	it('a listener subscribed twice hears each event once, and nothing after it unsubscribes', async () => {
		const {session} = await setup();
		await negotiated(session);
		const heard: string[] = [];
		const listener = (event: SessionEvent) => {
			if (event.type === 'outcome') {
				heard.push(event.line);
			}
		};
		session.subscribe(listener);
		const unsubscribe = session.subscribe(listener);
		await session.execute('agent_ping');
		unsubscribe();
		await session.execute('help');
		expect(heard).toEqual(['agent_ping']);
	});

	it('the gate follows the methods of the guest now connected, both ways', async () => {
		const {session, guest, socketPath} = await setup({disable: ['va.shutdown']});
		await negotiated(session);
		await expect(session.execute('agent_shutdown reboot')).resolves.toMatchObject({ok: false, error: {data: {code: 'ENOSYS'}}});

		// The next guest on the same channel serves it: the gate must not answer from the old list.
		await guest.close();
		await waitFor(() => session.status.guest.methods === undefined, 3000, 'the first guest gone');
		const serving = await startFakeGuest({socketPath});
		cleanups.push(async () => serving.close());
		await negotiated(session);
		await expect(session.execute('agent_shutdown reboot')).resolves.toMatchObject({ok: true});
		expect(serving.shutdowns).toHaveLength(1);

		// And one that does not serve it again is refused locally, before any request.
		await serving.close();
		await waitFor(() => session.status.guest.methods === undefined, 3000, 'the second guest gone');
		const refusing = await startFakeGuest({socketPath, disable: ['va.shutdown']});
		cleanups.push(async () => refusing.close());
		await negotiated(session);
		await expect(session.execute('agent_shutdown reboot')).resolves.toMatchObject({ok: false, error: {data: {code: 'ENOSYS'}}});
		expect(refusing.shutdowns).toEqual([]);
	});

	it('reconnects with back-off when the guest goes away and comes back, and renegotiates', async () => {
		const {session, guest, socketPath, events} = await setup();
		await negotiated(session);
		await guest.close();
		await waitFor(() => session.status.connection.state === 'retrying' && (session.status.connection as {attempt: number}).attempt >= 2, 3000, 'retrying');
		expect(session.status.guest.methods).toBeUndefined();
		// Each retry once (a status event repeats the connection when something else changed).
		const retries = [
			...new Set(events.flatMap(event => (event.type === 'status' && event.status.connection.state === 'retrying' ? [event.status.connection] : []))),
		];
		expect(retries[0]).toMatchObject({attempt: 1, inMs: 20});
		expect(retries[1]).toMatchObject({attempt: 2, inMs: 40});
		const interactive = await session.execute('agent_ping');
		expect(interactive.text).toMatch(/^error: VirtagentFailed \(ENOTCONN\): not connected to the guest agent: retrying in (\d+ms|[\d.]+s) \(attempt \d+\): /u);

		const again = await startFakeGuest({socketPath});
		cleanups.push(async () => again.close());
		await waitFor(() => session.status.connection.state === 'connected' && session.status.guest.methods !== undefined, 3000, 'reconnected');
		await expect(session.execute('agent_ping')).resolves.toMatchObject({ok: true, text: 'ok'});
		expect(again.connections).toBe(1);
	});

	it('backs off from 0.25 s, doubling, up to 5 s', () => {
		expect([1, 2, 3, 4, 5, 6, 7].map(attempt => retryDelay(attempt, 250, 5000))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
	});

	it('connects over TCP', async () => {
		const guest = await startFakeGuest({socketPath: '', tcp: true});
		cleanups.push(async () => guest.close());
		const session = await openSession({
			commands: allCommands,
			target: {mode: 'connect', endpoint: {kind: 'tcp', host: '127.0.0.1', port: guest.tcpPort!}},
			timeoutMs: 2000,
		});
		cleanups.push(async () => session.close());
		expect(session.status.channel).toBe(`tcp:127.0.0.1:${guest.tcpPort}`);
		await negotiated(session);
		await expect(session.execute('agent_ping')).resolves.toMatchObject({ok: true, text: 'ok'});
	});

	it('listens, takes one guest at a time, and takes a new one when the old goes', async () => {
		const {dir, remove} = tempDir('va-listen-');
		cleanups.push(remove);
		const socketPath = path.join(dir, 'monitor.sock');
		const session = await openSession({commands: allCommands, target: {mode: 'listen', endpoint: {kind: 'unix', path: socketPath}}, timeoutMs: 2000});
		cleanups.push(async () => session.close());
		expect(session.status.connection.state).toBe('listening');
		const first = await startFakeGuest({socketPath, dial: true});
		await negotiated(session);
		const second = await startFakeGuest({socketPath, dial: true, dmesg: 'second'});
		await expect(session.execute('agent_viewdmesg')).resolves.toMatchObject({ok: true, text: '[    0.000000] Linux version 6.1.0 (fake)\n'});
		await first.close();
		await waitFor(() => session.status.connection.state === 'listening', 3000, 'listening again');
		await second.close();
		const third = await startFakeGuest({socketPath, dial: true, dmesg: 'third guest'});
		cleanups.push(async () => third.close());
		await negotiated(session);
		await expect(session.execute('agent_viewdmesg')).resolves.toMatchObject({ok: true, text: 'third guest'});
	});
});

describe('the order of things', () => {
	it('pasted commands queue their jobs in the order typed, and info queues sees them all', async () => {
		const served: string[] = [];
		const release = gate();
		const {session, guest} = await setup({files: {'/etc/hostname': Buffer.from('guest01\n')}});
		await negotiated(session);
		// From here on, record what the guest serves, and hold the first answer so the jobs pile up.
		const list = () => guest.registry.listMethods();
		guest.registry.register('va.getfile', 'held', async () => {
			served.push('va.getfile');
			await release.promise;
			return Buffer.from('guest01\n');
		});
		guest.registry.register('system.listMethods', 'recorded', () => {
			served.push('system.listMethods');
			return list();
		});
		guest.registry.register('va.ping', 'recorded', () => {
			served.push('va.ping');
			return 'dummy';
		});
		const lines = ['agent_viewfile /etc/hostname', 'agent_capabilities', 'agent_ping', 'info queues'];
		const outcomes = lines.map(async line => session.execute(line));
		const queues = await outcomes[3]!;
		expect(
			queues.text
				.split('\n')
				.filter(line => line.startsWith('  #'))
				.map(line => line.split(' ')[3]),
		).toEqual(['va.getfile', 'system.listMethods', 'va.ping']);
		release.open();
		await Promise.all(outcomes);
		expect(served).toEqual(['va.getfile', 'system.listMethods', 'va.ping']);
	});

	it('a malformed frame during the handshake does not leave the gate shut: the round is tried again', async () => {
		const {dir, remove} = tempDir('va-malformed-');
		cleanups.push(remove);
		const socketPath = path.join(dir, 'va.sock');
		// A request whose tag breaks the grammar (docs/PROTOCOL.md §2), sent as the monitor connects.
		const malformed = Buffer.from('\u00FFPOST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 0\r\nX-Virtagent-Client-Tag: a\tb\r\n\r\n', 'latin1');
		const peer = await serveRawRequests(
			socketPath,
			({call, reply}) => {
				if (call.method === 'va.capabilities') {
					reply(faultBody(-506, "Method 'va.capabilities' not defined"));
				} else if (call.method === 'system.listMethods') {
					reply(responseBody(['va.ping', 'system.listMethods']));
				} else {
					reply(responseBody('dummy'));
				}
			},
			socket => socket.write(malformed),
		);
		cleanups.push(async () => peer.close());
		const session = await openSession({
			commands: allCommands,
			target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}},
			timeoutMs: 2000,
			waitForGuest: true,
		});
		cleanups.push(async () => session.close());
		const events: SessionEvent[] = [];
		session.subscribe(event => events.push(event));
		await expect(session.execute('agent_ping')).resolves.toMatchObject({ok: true, text: 'ok'});
		expect(events.some(event => event.type === 'log' && /negotiation failed: .*MALFORMED_HEADER/u.test(event.message))).toBe(true);
	});

	it("sends as many requests at once as the guest's capabilities say it holds, never more than the client queue", async () => {
		const capabilities = (serverQueue: number) =>
			`<?xml version="1.0"?><methodResponse><params><param><value><struct><member><name>version</name><value><string>1.0</string></value></member><member><name>methods</name><value><array><data><value><string>va.getdmesg</string></value><value><string>va.capabilities</string></value></data></array></value></member><member><name>limits</name><value><struct><member><name>serverQueue</name><value><int>${serverQueue}</int></value></member></struct></value></member></struct></value></param></params></methodResponse>`;
		for (const [advertised, expected] of [
			[2, 2],
			[1_000_000, 5],
		] as const) {
			const {dir, remove} = tempDir('va-capacity-');
			cleanups.push(remove);
			const socketPath = path.join(dir, 'va.sock');
			let waiting = 0;
			const peer = await serveRawRequests(socketPath, ({call, reply}) => {
				if (call.method === 'va.capabilities') {
					reply(capabilities(advertised));
				} else {
					waiting++; // Never answered: each holds one of the guest's slots.
				}
			});
			cleanups.push(async () => peer.close());
			const session = await openSession({commands: allCommands, target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}}, timeoutMs: 3000});
			cleanups.push(async () => session.close());
			await negotiated(session);
			const pending = Array.from({length: 5}, async () => session.execute('agent_viewdmesg'));
			await waitFor(() => waiting === expected, 2000, `${expected} requests at the guest`);
			await new Promise(resolve => setTimeout(resolve, 150));
			expect(waiting).toBe(expected);
			await session.close();
			await Promise.all(pending);
		}
	});

	it('negotiates once per stream and once per hello: the channel coming up stays in the live log', async () => {
		let asked = 0;
		const {session, guest} = await setup({
			setup(registry) {
				const list = () => registry.listMethods();
				registry.register('va.capabilities', 'counted', () => {
					asked++;
					return {version: '1.0', methods: list()};
				});
				registry.register('system.listMethods', 'counted', () => {
					asked++;
					return list();
				});
			},
		});
		await negotiated(session);
		await waitFor(() => session.status.guest.helloAt !== undefined && session.model.server.done >= 1, 3000, 'the hello answered');
		await new Promise(resolve => setTimeout(resolve, 100));
		// The connect's round and the hello that crossed it: one question.
		expect(asked).toBe(1);
		expect(liveLog(session.model).some(entry => entry.text.startsWith('channel up'))).toBe(true);
		// A later hello (the guest agent restarted behind the same stream): one more.
		await guest.agent!.call('va.hello');
		await waitFor(() => asked === 2, 3000, 'the second round');
		await new Promise(resolve => setTimeout(resolve, 100));
		expect(asked).toBe(2);
	});
});

describe('commands over a real engine', () => {
	it('views files: text as text, binary as a hexdump with its size, a missing file as RPCFailed naming the path', async () => {
		const {session} = await setup({files: {'/etc/hostname': Buffer.from('guest01\n'), '/bin/true': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x00, 0xff])}});
		await negotiated(session);
		await expect(session.execute('agent_viewfile /etc/hostname')).resolves.toMatchObject({
			ok: true,
			value: {path: '/etc/hostname', size: 8, base64: Buffer.from('guest01\n').toString('base64'), text: 'guest01\n'},
			text: 'guest01\n',
		});
		await expect(session.execute('agent_viewfile "/bin/true"')).resolves.toMatchObject({
			ok: true,
			value: {path: '/bin/true', size: 7, base64: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x00, 0xff]).toString('base64')},
			text: '00000000: 7f45 4c46 0200 ff                        .ELF...\n(7 bytes, binary; save it with agent_getfile GUESTPATH LOCALPATH)',
		});
		await expect(session.execute('agent_viewfile /nope')).resolves.toMatchObject({
			ok: false,
			text: 'error: RPCFailed (fault -500): agent_viewfile /nope: open failed: /nope: No such file or directory',
			error: {
				class: 'RPCFailed',
				desc: 'open failed: /nope: No such file or directory',
				data: {code: -500, message: 'open failed: /nope: No such file or directory'},
			},
		});
	});

	it('shuts down: says the guest accepted it; a bad mode is refused before any RPC', async () => {
		const {session, guest} = await setup();
		await negotiated(session);
		await expect(session.execute('agent_shutdown powerdown')).resolves.toMatchObject({
			ok: true,
			text: 'the guest agent accepted powerdown',
			value: {mode: 'powerdown'},
		});
		await expect(session.execute('agent_shutdown sideways')).resolves.toMatchObject({
			ok: false,
			text: "agent_shutdown: invalid shutdown type 'sideways' (expected halt, powerdown or reboot)",
			error: {class: 'InvalidParameter'},
		});
		await expect(session.execute('agent_shutdown')).resolves.toMatchObject({ok: false, text: 'agent_shutdown: string expected'});
		expect(guest.shutdowns).toEqual(['powerdown']);
	});

	it('explains unknown commands, with a suggestion when close', async () => {
		const {session} = await setup();
		await expect(session.execute('agent_pnig')).resolves.toMatchObject({
			ok: false,
			text: "unknown command: 'agent_pnig' (did you mean agent_ping?)",
			error: {class: 'CommandNotFound'},
		});
		await expect(session.execute('frobnicate')).resolves.toMatchObject({ok: false, text: "unknown command: 'frobnicate'"});
		await expect(session.execute('agent_ping extra')).resolves.toMatchObject({ok: false, text: 'agent_ping: extraneous characters at the end of line'});
	});

	it('help lists every command as `name params -- help`, or one', async () => {
		const {session} = await setup();
		const all = await session.execute('help');
		expect(all.text.split('\n').map(line => line.split(' -- ')[0])).toEqual([
			'agent_viewfile filepath',
			'agent_getfile guestpath localpath [-f]',
			'agent_viewdmesg',
			'agent_shutdown halt|powerdown|reboot',
			'agent_ping',
			'agent_capabilities',
			'qga command [JSON-ARGUMENTS]',
			'help [command] [topic]',
			'info [agent|queues|transitions] [N]',
			'cancel jobid',
			'timeout seconds command [args]',
			'quit',
		]);
		await expect(session.execute('help agent_ping')).resolves.toMatchObject({
			ok: true,
			text: 'agent_ping -- check that the guest agent answers (va.ping; guest-ping on qemu-ga)',
			value: {commands: [{name: 'agent_ping', params: '', help: 'check that the guest agent answers (va.ping; guest-ping on qemu-ga)'}]},
		});
		await expect(session.execute('help agent_pnig')).resolves.toMatchObject({ok: false, error: {class: 'CommandNotFound'}});
	});

	it('folds engine events when the model is read: info transitions after 300 calls shows the newest, in order', async () => {
		const {session} = await setup();
		await session.waitForGuest(2000);
		for (let i = 0; i < 300; i++) {
			expect((await session.execute('agent_ping')).ok).toBe(true);
		}

		// More events than the session keeps unfolded (1,024): some were folded on the way, the rest now.
		const {model} = session;
		expect(model.client.done).toBeGreaterThanOrEqual(300);
		expect(model.client.jobs).toEqual([]);
		expect(model.clientState).toBe('IDLE');
		const transitions = (await session.execute('info transitions 4')).text.split('\n');
		expect(transitions).toHaveLength(4);
		expect(transitions.at(-1)).toMatch(/client .*WAIT→IDLE|done/);
		expect(session.model).toBe(model); // Nothing new since: the same model, not a re-fold.
	});

	it('a 6th queued job gets `client job queue limit exceeded` at once; info queues shows 5/5', async () => {
		const {session, release} = await slowDmesgSession();
		const five = Array.from({length: 5}, async () => session.execute('agent_viewdmesg'));
		await waitFor(() => session.model.client.jobs.length === 5 && session.model.client.jobs[0]!.status === 'waiting', 3000, 'five jobs, the first one waiting');
		const sixth = await session.execute('agent_viewdmesg');
		expect(sixth).toMatchObject({
			ok: false,
			text: 'error: VirtagentFailed (ENOBUFS): client job queue limit exceeded',
			error: {class: 'VirtagentFailed', desc: 'client job queue limit exceeded', data: {code: 'ENOBUFS'}},
		});
		expect(sixth.ms).toBeLessThan(100);
		const queues = await session.execute('info queues');
		expect(queues.text).toMatch(
			/^client: WAIT, 5\/5 jobs, \d+ done, 0 failed\n {2}#\d+ va\.getdmesg waiting (\d+ms|[\d.]+s)\n( {2}#\d+ va\.getdmesg queued (\d+ms|[\d.]+s)\n){4}server: IDLE, 0\/1 jobs/u,
		);
		release.open();
		const results = await Promise.all(five);
		expect(results.map(result => result.text)).toEqual(['late', 'late', 'late', 'late', 'late']);
		const transitions = await session.execute('info transitions 3');
		expect(transitions.text.split('\n')).toHaveLength(3);
		expect(transitions.text).toMatch(/^\d\d:\d\d:\d\d\.\d{3} client/u);
	});

	it('cancel JOBID gives up on a queued job and the waiting one; bad ids are clear errors', async () => {
		const {session, release} = await slowDmesgSession();
		const waiting = session.execute('agent_viewdmesg');
		const queued = session.execute('agent_ping');
		await waitFor(() => session.model.client.jobs.length === 2, 3000, 'two jobs');
		// The first is on the wire, waiting for its answer (not mid-write).
		await waitFor(() => session.model.client.jobs[0]?.status === 'waiting', 3000, 'the first job waiting');
		const [first, second] = session.model.client.jobs;
		await expect(session.execute(`cancel ${second!.id}`)).resolves.toMatchObject({
			ok: true,
			text: `cancelled client job #${second!.id} (it fails with ECANCELED)`,
			value: {job: second!.id},
		});
		await expect(queued).resolves.toMatchObject({ok: false, text: 'error: VirtagentFailed (ECANCELED): va.ping cancelled'});
		await expect(session.execute(`cancel ${first!.id}`)).resolves.toMatchObject({ok: true});
		await expect(waiting).resolves.toMatchObject({ok: false, error: {data: {code: 'ECANCELED'}}});
		await expect(session.execute(`cancel ${first!.id}`)).resolves.toMatchObject({ok: false, text: `cancel: no queued or waiting client job #${first!.id}`});
		await expect(session.execute('cancel x1')).resolves.toMatchObject({ok: false, text: "cancel: invalid job id 'x1' (a number, as in info queues)"});
		release.open();
	});
});

/** A negotiated session whose guest answers va.getdmesg ('late') only once `release` is opened. */
async function slowDmesgSession() {
	const release = gate();
	const {session} = await setup({
		setup(registry) {
			registry.register('va.getdmesg', 'slow', async () => {
				await release.promise;
				return 'late';
			});
		},
	});
	await negotiated(session);
	return {session, release};
}

describe('a hostile guest', () => {
	const evil = '\u001B]0;pwned\u0007\u001B[2J\u009B31m\u202E';

	it('has its escape sequences shown harmlessly: dmesg, files, method names, faults', async () => {
		const {dir, remove} = tempDir('va-raw-');
		cleanups.push(remove);
		const socketPath = path.join(dir, 'va.sock');
		const file = Buffer.from(`text${evil}`);
		const guest = await startRawGuest(socketPath, method => {
			switch (method) {
				case 'system.listMethods': {
					return responseBody(['va.getdmesg', 'va.getfile', 'va.ping', `va.evil${evil}`]);
				}

				case 'va.getdmesg': {
					return responseBody(`[    1.0] \u001B[31mred alert\u001B[0m${evil}\n`);
				}

				case 'va.getfile': {
					return `<?xml version="1.0"?><methodResponse><params><param><value><base64>${file.toString('base64')}</base64></value></param></params></methodResponse>`;
				}

				default: {
					return faultBody(-500, `bad${evil}`);
				}
			}
		});
		cleanups.push(async () => guest.close());
		const session = await openSession({commands: allCommands, target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}}, timeoutMs: 2000});
		cleanups.push(async () => session.close());
		await negotiated(session);
		const harmless = '\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m\\u202e';
		const dmesg = await session.execute('agent_viewdmesg');
		expect(dmesg).toMatchObject({ok: true, value: {text: `[    1.0] \u001B[31mred alert\u001B[0m${evil}\n`}});
		expect(dmesg.text).toBe(`[    1.0] \\x1b[31mred alert\\x1b[0m${harmless}\n`);
		const viewfile = await session.execute('agent_viewfile /evil');
		expect(viewfile.text).toBe(`text${harmless}`);
		const capabilities = await session.execute('agent_capabilities');
		expect(capabilities.text).toContain(`va.evil${harmless}`);
		const info = await session.execute('info agent');
		expect(info.text).toContain(`va.evil${harmless}`);
		const ping = await session.execute('agent_ping');
		expect(ping).toMatchObject({ok: false, text: `error: RPCFailed (fault -500): bad${harmless}`});
		for (const outcome of [dmesg, viewfile, capabilities, info, ping]) {
			expect(outcome.text).not.toMatch(/[\u001B\u0007\u009B\u202E]/u);
		}
	});

	it('that never answers gets ETIMEDOUT, clearly, and the monitor goes on', async () => {
		const {session} = await setup({hang: ['va.ping']}, {timeoutMs: 300});
		await negotiated(session);
		const outcome = await session.execute('agent_ping');
		expect(outcome).toMatchObject({ok: false, text: 'error: VirtagentFailed (ETIMEDOUT): va.ping timed out after 300ms', error: {data: {code: 'ETIMEDOUT'}}});
		// The guest is still stuck in that handler, so its one server slot is taken: the next
		// request is held, never sent (docs/PROTOCOL.md §4), and times out as itself.
		await expect(session.execute('agent_viewdmesg')).resolves.toMatchObject({
			ok: false,
			text: 'error: VirtagentFailed (ETIMEDOUT): va.getdmesg timed out after 300ms',
		});
		await expect(session.execute('info agent')).resolves.toMatchObject({ok: true});
	});

	it('timeout SECONDS COMMAND gives one command its own deadline; bad uses are clear errors', async () => {
		const {session} = await setup({hang: ['va.getdmesg']}, {timeoutMs: 5000});
		await negotiated(session);
		const started = Date.now();
		await expect(session.execute('timeout 0.2 agent_viewdmesg')).resolves.toMatchObject({
			ok: false,
			command: 'timeout',
			text: 'error: VirtagentFailed (ETIMEDOUT): va.getdmesg timed out after 200ms',
		});
		expect(Date.now() - started).toBeLessThan(4000); // Not the session's 5 s.
		await expect(session.execute('timeout 0.2 agent_shutdown sideways')).resolves.toMatchObject({
			ok: false,
			text: "agent_shutdown: invalid shutdown type 'sideways' (expected halt, powerdown or reboot)",
		});
		await expect(session.execute('timeout abc agent_ping')).resolves.toMatchObject({
			ok: false,
			text: "timeout: invalid number of seconds 'abc' (more than 0, at most 3600)",
		});
		await expect(session.execute('timeout 5')).resolves.toMatchObject({ok: false, text: 'timeout: string expected'});
		await expect(session.execute('timeout 5 agent_pnig')).resolves.toMatchObject({ok: false, error: {class: 'CommandNotFound'}});
		expect(session.complete('timeout 3 agent_sh')).toEqual(['agent_shutdown']);
		expect(session.complete('timeout 3 agent_shutdown p')).toEqual(['powerdown']);
	});

	it('that drops the stream mid-response gets ECONNRESET, and the monitor reconnects', async () => {
		const {session, guest} = await setup({drop: ['va.getdmesg']});
		await negotiated(session);
		const outcome = await session.execute('agent_viewdmesg');
		expect(outcome).toMatchObject({ok: false, error: {class: 'VirtagentFailed', data: {code: 'ECONNRESET'}}});
		expect(outcome.text).toMatch(/^error: VirtagentFailed \(ECONNRESET\): channel lost: /u);
		await waitFor(() => guest.connections === 2 && session.status.guest.methods !== undefined, 3000, 'reconnect');
		await expect(session.execute('agent_ping')).resolves.toMatchObject({ok: true, text: 'ok'});
	});
});

describe('completion', () => {
	it('completes command names, help topics and choices', async () => {
		const {session} = await setup();
		expect(session.complete('agent_v')).toEqual(['agent_viewfile', 'agent_viewdmesg']);
		expect(session.complete('agent_shutdown p')).toEqual(['powerdown']);
		expect(session.complete('info ')).toEqual(['agent', 'queues', 'transitions']);
		expect(session.complete('help q')).toEqual(['qga', 'quit']);
		expect(session.commandNames).toContain('agent_capabilities');
	});
});
