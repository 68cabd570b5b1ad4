/** A seeded generator (mulberry32): the same seed gives the same sequence of hostile frames. */
export class Random {
	#state: number;

	constructor(seed: number) {
		this.#state = seed >>> 0;
	}

	/** A float in [0, 1). */
	next(): number {
		this.#state = (this.#state + 0x6d2b79f5) >>> 0;
		let t = this.#state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	}

	/** An integer in [0, below). */
	int(below: number): number {
		return Math.floor(this.next() * below);
	}

	chance(probability: number): boolean {
		return this.next() < probability;
	}

	pick<T>(items: readonly T[]): T {
		return items[this.int(items.length)]!;
	}

	bytes(length: number): Buffer {
		const out = Buffer.allocUnsafe(length);
		for (let i = 0; i < length; i++) {
			out[i] = this.int(256);
		}

		return out;
	}

	/** A new generator whose sequence depends only on this one's next value. */
	fork(): Random {
		return new Random(this.int(4_294_967_296));
	}
}
