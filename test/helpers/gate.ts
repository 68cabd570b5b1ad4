/** A promise the test opens by hand, to hold a handler or a write at a chosen point. */
export type Gate = {
	readonly promise: Promise<void>;
	open(): void;
};

export function gate(): Gate {
	let open!: () => void;
	const promise = new Promise<void>(resolve => {
		open = resolve;
	});
	return {promise, open};
}
