import type {Channel, ChannelHandlers} from '../../src/transport/channel.js';

/** A Channel in memory whose other end is this process: what it is told arrives through `deliver`. */
export type MemoryChannel = Channel & {deliver(chunk: Buffer): void};

/**
 * A Channel with no socket under it, for the in-process profiles: every write is taken at once
 * (`flushed`) and handed to `take`, which may answer through `deliver` (later, as a peer would).
 */
export function memoryChannel(label: string, take: (bytes: Buffer, deliver: (chunk: Buffer) => void) => void): MemoryChannel {
	let handlers: ChannelHandlers | undefined;
	const deliver = (chunk: Buffer) => {
		handlers?.data(chunk);
	};

	const write = (bytes: Buffer): 'flushed' => {
		take(bytes, deliver);
		return 'flushed';
	};

	return {
		label,
		start(h) {
			handlers = h;
		},
		async write(bytes) {
			write(bytes);
		},
		writeEager: write,
		destroy() {
			handlers?.close();
		},
		deliver,
	};
}
