// Small body pieces are copied into a staging block so that a peer trickling bytes cannot
// make us hold thousands of tiny Buffer objects (or pin the big chunks they came in).
const stageSize = 16 * 1024;

/**
 * The pieces of one frame body that arrives over several chunks, joined once it is complete.
 * A piece of stageSize bytes or more is kept as the view it is; smaller ones are copied into a
 * staging block of stageSize bytes, so memory stays proportional to the bytes held whatever
 * the chunking. (A body whole in one chunk never comes here: the decoder hands out a view.)
 */
export class BodyAssembler {
	#parts: Buffer[] = [];
	#stage: Buffer | undefined;
	#stageUsed = 0;

	append(piece: Buffer): void {
		if (piece.length >= stageSize) {
			this.#flushStage();
			this.#parts.push(piece);
			return;
		}
		let from = 0;
		while (from < piece.length) {
			this.#stage ??= Buffer.allocUnsafe(stageSize);
			const copied = piece.copy(this.#stage, this.#stageUsed, from);
			this.#stageUsed += copied;
			from += copied;
			if (this.#stageUsed === stageSize) this.#flushStage();
		}
	}

	/** Every piece appended, as one body of `length` bytes (their sum); empty again afterwards. */
	join(length: number): Buffer {
		this.#flushStage();
		const body = Buffer.concat(this.#parts, length);
		this.#parts = [];
		return body;
	}

	/** Drops whatever was appended (the message ended without its body). */
	clear(): void {
		if (this.#parts.length > 0) {
			this.#parts = [];
		}

		this.#stage = undefined;
		this.#stageUsed = 0;
	}

	#flushStage(): void {
		if (this.#stage === undefined || this.#stageUsed === 0) return;
		this.#parts.push(this.#stage.subarray(0, this.#stageUsed));
		this.#stage = undefined;
		this.#stageUsed = 0;
	}
}
