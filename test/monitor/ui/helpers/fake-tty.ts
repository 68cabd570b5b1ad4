import {EventEmitter} from 'node:events';

/** Stdin as Ink sees a terminal in raw mode: `write` delivers one chunk, like one read(). */
export class FakeStdin extends EventEmitter {
	readonly isTTY = true;
	#chunks: string[] = [];

	write(data: string): void {
		this.#chunks.push(data);
		this.emit('readable');
	}

	read(): string | null {
		return this.#chunks.shift() ?? null;
	}

	setEncoding(): void {}
	setRawMode(): void {}
	resume(): void {}
	pause(): void {}
	ref(): void {}
	unref(): void {}
}

/** Stdout that keeps everything written (ANSI included). */
export class FakeStdout extends EventEmitter {
	readonly isTTY = true;
	readonly columns = 120;
	readonly rows = 40;
	written = '';

	write(data: string): boolean {
		this.written += data;
		return true;
	}
}

/** A macrotask: Ink handles input and renders on later turns of the loop. */
export async function tick(ms = 20): Promise<void> {
	await new Promise(resolve => setTimeout(resolve, ms));
}
