import {EventEmitter} from 'node:events';

/**
 * Stdin as Ink sees a terminal in raw mode: `write` delivers one chunk, like one read(). For
 * driving the mounted screen without a pseudo-terminal (the profile scripts, the UI tests).
 */
export class TypedInput extends EventEmitter {
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
