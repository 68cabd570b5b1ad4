/*
 * The fuzzer's end of one connection: it plays the hostile steps, answers the program's own
 * calls (va.hello, negotiation, the monitor's va.ping) unless a test hook takes them, and
 * records which request tags the program has answered.
 */
import net from 'node:net';
import type {Step} from './hostile.js';
import {sleep} from './program.js';
import {FrameReader, frame, methodOf, type ReadFrame, responseXml} from './wire.js';

/** A request from the program; return true when the hook answered it (or chose not to). */
export type RequestHook = (request: ReadFrame, method: string, peer: Peer) => boolean;

const methodList = ['va.getfile', 'va.getdmesg', 'va.shutdown', 'va.ping', 'va.capabilities', 'system.listMethods'];

/** Answers a fake end gives when nothing hostile is planned. */
export function politeAnswer(method: string): string {
	switch (method) {
		case 'system.listMethods': {
			return responseXml(`<array><data>${methodList.map(name => `<value><string>${name}</string></value>`).join('')}</data></array>`);
		}

		case 'va.capabilities': {
			const methods = methodList.map(name => `<value><string>${name}</string></value>`).join('');
			return responseXml(
				`<struct><member><name>version</name><value><string>1.0</string></value></member><member><name>methods</name><value><array><data>${methods}</data></array></value></member></struct>`,
			);
		}

		default: {
			return responseXml('<string>dummy</string>');
		}
	}
}

export class Peer {
	readonly socket: net.Socket;
	readonly answered = new Set<string>();
	closed = false;
	hook: RequestHook | undefined;
	readonly #reader = new FrameReader();
	readonly #waiters = new Set<() => void>();

	constructor(socket: net.Socket) {
		this.socket = socket;
		socket.on('data', chunk => {
			for (const received of this.#reader.push(chunk)) {
				this.#receive(received);
			}
		});
		socket.on('error', () => undefined);
		socket.on('close', () => {
			this.closed = true;
			this.#wake();
		});
	}

	static async connect(socketPath: string): Promise<Peer> {
		const socket = net.connect(socketPath);
		await new Promise<void>((resolve, reject) => {
			socket.once('connect', resolve);
			socket.once('error', reject);
		});
		return new Peer(socket);
	}

	write(bytes: Buffer): void {
		if (!this.closed) {
			this.socket.write(bytes);
		}
	}

	/** Resolves true once `condition` holds, false after `ms` or when the connection closes. */
	async wait(condition: () => boolean, ms: number): Promise<boolean> {
		if (condition()) {
			return true;
		}

		return new Promise(resolve => {
			const timer = setTimeout(() => {
				this.#waiters.delete(waiter);
				resolve(false);
			}, ms);
			const waiter = (): void => {
				if (condition() || this.closed) {
					clearTimeout(timer);
					this.#waiters.delete(waiter);
					resolve(condition());
				}
			};

			this.#waiters.add(waiter);
		});
	}

	async play(steps: readonly Step[]): Promise<void> {
		for (const step of steps) {
			if (this.closed) {
				return;
			}

			switch (step.type) {
				case 'write': {
					this.write(step.bytes);
					break;
				}

				case 'trickle': {
					for (const byte of step.bytes) {
						this.write(Buffer.from([byte]));
						await sleep(step.everyMs);
					}

					break;
				}

				case 'silence': {
					await sleep(step.ms);
					break;
				}

				case 'pause-reading': {
					this.socket.pause();
					break;
				}

				case 'resume-reading': {
					this.socket.resume();
					break;
				}

				case 'hang-up': {
					this.close();
					break;
				}
			}
		}
	}

	close(): void {
		this.closed = true;
		this.socket.destroy();
	}

	#receive(received: ReadFrame): void {
		if (received.kind === 'response' && received.tag !== undefined) {
			this.answered.add(received.tag);
		} else if (received.kind === 'request') {
			const method = methodOf(received.body);
			if (!this.hook?.(received, method, this)) {
				this.write(frame('response', received.tag ?? 'none', politeAnswer(method)));
			}
		}

		this.#wake();
	}

	#wake(): void {
		for (const waiter of [...this.#waiters]) {
			waiter();
		}
	}
}
