// The warm-up behind the guest executable's code cache (scripts/build-guest.mjs): runs the bundled
// daemon under this Node through scripts/guest-loader.cjs against a host made of the project's
// engine (dist/), the way a monitor meets it at boot: its probe bytes first (a framing error),
// the hello answered, then capabilities, pings and a small file; then SIGTERM, and the loader
// writes V8's code cache with every function compiled so far.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * The daemon's channel in the warm-up: its e2e path, a virtio-serial port (a pseudo-terminal
 * relayed to the host's socket by guest-pty-relay.py), so that the port's code is in the cache
 * too: counted with callgrind (instructions.mjs port), exec -> hello -2.1M instructions and -2k
 * distinct ones against a cache warmed over a UNIX socket. Without python3 (or a pseudo-terminal),
 * undefined: the warm-up connects over the socket itself, as before.
 */
async function portRelay(repo, sock) {
	const child = spawn('python3', [path.join(repo, 'scripts/guest-pty-relay.py'), sock], {stdio: ['ignore', 'pipe', 'ignore']});
	const device = await new Promise(resolve => {
		child.once('error', () => resolve(undefined));
		child.once('exit', () => resolve(undefined));
		child.stdout.once('data', chunk => resolve(String(chunk).trim()));
	});
	if (!device?.startsWith('/dev/')) {
		child.kill();
		return undefined;
	}

	return {device, process: child};
}

/** Writes the cache to `out` and says over what the daemon ran; throws if the daemon does not get that far. */
export async function warmCodeCache({repo, bundle, work, out}) {
	const {Agent} = await import(path.join(repo, 'dist/src/engine/agent.js'));
	const {MethodRegistry} = await import(path.join(repo, 'dist/src/engine/registry.js'));
	const {socketChannel} = await import(path.join(repo, 'dist/src/transport/socket-channel.js'));
	const sock = path.join(work, 'warm-up.sock');
	let helloSeen;
	const hello = new Promise(resolve => (helloSeen = resolve));
	const registry = new MethodRegistry().register('va.hello', 'A guest is up.', () => {
		helloSeen();
		return 'dummy';
	});
	const host = new Agent({name: 'warm-up', registry});
	const sync = '{"execute":"guest-sync-delimited","arguments":{"id":1}}\n';
	const server = net.createServer(socket => {
		server.close();
		// An auto-detecting monitor's first probes (docs/PROTOCOL.md §9): garbage, then a framing error.
		socket.write(`${sync}\xff${sync}`, 'latin1');
		host.attach(socketChannel(socket, 'warm-up'));
	});
	await new Promise(resolve => server.listen(sock, resolve));
	const loader = path.join(repo, 'scripts/guest-loader.cjs');
	const relay = await portRelay(repo, sock);
	const channel = relay ? ['--channel', 'virtio-serial', '--path', relay.device] : ['--channel', 'unix-connect', '--path', sock];
	// The options an install passes too (the unit's --pidfile, the e2e's --shutdown-delay): code run
	// only to parse or act on an option is otherwise compiled at each start.
	const pidfile = path.join(work, 'warm-up.pid');
	const args = [...channel, '--block-rpcs', 'va.shutdown', '--shutdown-command', 'true', '--shutdown-delay', '1', '--pidfile', pidfile];
	const env = {...process.env, VA_GUEST_BUNDLE: bundle, VA_GUEST_CACHE_OUT: out};
	const daemon = spawn(process.execPath, [loader, ...args], {stdio: ['ignore', 'ignore', 'pipe'], env});
	let stderr = '';
	daemon.stderr.on('data', chunk => (stderr += chunk));
	const exited = new Promise(resolve => daemon.once('exit', resolve));
	try {
		const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`the daemon did not say hello: ${stderr.slice(-500)}`)), 30_000).unref());
		await Promise.race([hello, timeout]);
		await host.call('va.capabilities', []);
		for (let i = 0; i < 50; i++) {
			await host.call('va.ping', []);
		}

		await host.call('va.getfile', [bundle]);
	} finally {
		daemon.kill('SIGTERM');
		await exited;
		host.close();
		relay?.process.kill();
	}

	if (!fs.existsSync(out) || fs.statSync(out).size === 0) {
		throw new Error(`the warm-up wrote no code cache: ${stderr.slice(-500)}`);
	}

	return relay ? 'a virtio-serial port (a pseudo-terminal)' : 'a UNIX socket (no python3 for a pseudo-terminal)';
}
