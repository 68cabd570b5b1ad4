import net from 'node:net';

/*
 * The baseline of case 1: the least a round trip over a UNIX socket can cost in Node. The
 * client writes a message the size of a va.ping request frame; the server, once it has that
 * many bytes, writes back one the size of the response frame. No parsing on either side.
 */

export type EchoSizes = {readonly request: number; readonly reply: number};

export type EchoServer = {close(): Promise<void>};

export async function startEchoServer(socketPath: string, sizes: EchoSizes): Promise<EchoServer> {
	const reply = Buffer.alloc(sizes.reply, 0x61);
	const server = net.createServer(socket => {
		let have = 0;
		socket.on('data', chunk => {
			have += chunk.length;
			while (have >= sizes.request) {
				have -= sizes.request;
				socket.write(reply);
			}
		});
		socket.on('error', () => {
			socket.destroy();
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(socketPath, resolve);
	});
	return {
		async close() {
			await new Promise<void>(resolve => {
				server.close(() => resolve());
			});
		},
	};
}

export type EchoClient = {
	roundTrip(): Promise<void>;
	close(): void;
};

export async function connectEchoClient(socketPath: string, sizes: EchoSizes): Promise<EchoClient> {
	const socket = net.connect(socketPath);
	await new Promise<void>((resolve, reject) => {
		socket.once('connect', resolve);
		socket.once('error', reject);
	});
	const request = Buffer.alloc(sizes.request, 0x62);
	let have = 0;
	let waiting: ((error?: Error) => void) | undefined;
	socket.on('data', chunk => {
		have += chunk.length;
		if (have >= sizes.reply && waiting) {
			have -= sizes.reply;
			const done = waiting;
			waiting = undefined;
			done();
		}
	});
	socket.on('close', () => {
		waiting?.(new Error('echo server closed the connection'));
	});
	return {
		async roundTrip() {
			return new Promise<void>((resolve, reject) => {
				waiting = error => (error ? reject(error) : resolve());
				socket.write(request);
			});
		},
		close() {
			socket.destroy();
		},
	};
}
