/** Who listens to a fleet or its session; a listener that throws never stops the others nor the fleet. */
export class Listeners<E> {
	readonly #listeners = new Set<(event: E) => void>();

	add(listener: (event: E) => void): () => void {
		this.#listeners.add(listener);
		return () => {
			this.#listeners.delete(listener);
		};
	}

	emit(event: E): void {
		for (const listener of this.#listeners) {
			try {
				listener(event);
			} catch {
				// A broken view must not break the fleet.
			}
		}
	}
}
