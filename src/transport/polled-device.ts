import net from 'node:net';

/** The part of Node's own pipe binding used here (the handle Node wraps stdio pipes in). */
type PipeBinding = {
	readonly Pipe: new (type: number) => {open(fd: number): number};
	readonly constants: {readonly SOCKET: number};
};

/**
 * A character device (a virtio-serial port, a tty) or a FIFO as a net.Socket that libuv polls
 * like a pipe: reads and writes happen on this thread as soon as the kernel says they can, with
 * no thread blocked in read() and no helper process (under software emulation every extra
 * wake-up and hop per message costs).
 *
 * Node's public API offers no way to poll such a descriptor: net.Socket({fd}) refuses it
 * (ERR_INVALID_FD_TYPE: libuv calls it a file), tty.ReadStream wants a tty, and fs.read blocks a
 * pool thread (which then keeps the process from exiting). libuv itself polls any descriptor
 * that supports poll(2) once it is opened as a pipe handle, as Node does for its stdio pipes: so
 * this takes the pipe handle from Node's binding. The socket owns the descriptor from then on
 * (destroy() closes it). Throws if the binding is missing or the descriptor cannot be polled.
 * `use` 'write': never read from it (a socket reads from the start unless told not to).
 */
export function pollDescriptor(fd: number, use: 'read' | 'write' | 'both' = 'both'): net.Socket {
	const {Pipe, constants} = (process as unknown as {binding(name: string): PipeBinding}).binding('pipe_wrap');
	const handle = new Pipe(constants.SOCKET);
	const status = handle.open(fd);
	if (status !== 0) {
		throw new Error(`cannot poll descriptor ${fd} (libuv error ${status})`);
	}

	// allowHalfOpen: a read of 0 (on a port: no host) must not make net.Socket shut the
	// descriptor down for writing (shutdown(2) means nothing to a device); the owner decides.
	return new net.Socket({handle, allowHalfOpen: true, readable: use !== 'write', writable: use !== 'read'} as unknown as net.SocketConstructorOpts);
}
