import {mkdtempSync, rmSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';

export type SocketPair = {
	readonly a: net.Socket;
	readonly b: net.Socket;
	readonly path: string;
	close(): void;
};

/** Two ends of a real UNIX socket connection. */
export async function socketPair(): Promise<SocketPair> {
	const dir = mkdtempSync(path.join(tmpdir(), 'va-pair-'));
	const socketPath = path.join(dir, 'pair.sock');
	const server = net.createServer();
	await new Promise<void>(resolve => server.listen(socketPath, resolve));
	const accepted = new Promise<net.Socket>(resolve => server.once('connection', resolve));
	const a = net.connect(socketPath);
	await new Promise<void>((resolve, reject) => {
		a.once('connect', resolve);
		a.once('error', reject);
	});
	const b = await accepted;
	server.close();
	return {
		a,
		b,
		path: socketPath,
		close() {
			a.destroy();
			b.destroy();
			rmSync(dir, {recursive: true, force: true});
		},
	};
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix = 'va-test-'): {dir: string; remove: () => void} {
	const dir = mkdtempSync(path.join(tmpdir(), prefix));
	return {dir, remove: () => rmSync(dir, {recursive: true, force: true})};
}

/** Resolve when `predicate` holds, polling every few ms; reject after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
	const start = Date.now();
	while (!predicate()) {
		if (Date.now() - start > timeoutMs) {
			throw new Error(`timed out waiting for ${what}`);
		}

		await new Promise(resolve => setTimeout(resolve, 5));
	}
}
