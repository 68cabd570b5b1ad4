const reasons: Readonly<Record<string, string>> = {
	ENOENT: 'no such file or directory',
	EACCES: 'permission denied',
	EPERM: 'operation not permitted',
	EISDIR: 'is a directory',
	ENOTDIR: 'a path component is not a directory',
	ELOOP: 'too many levels of symbolic links',
	ENAMETOOLONG: 'file name too long',
	ENXIO: 'no such device or address',
	EAGAIN: 'resource temporarily unavailable',
	EIO: 'input/output error',
	EMFILE: 'too many open files',
	EINVAL: 'invalid argument',
	ESPIPE: 'illegal seek',
};

/** `no such file or directory` for an ENOENT error: the reason, not Node's whole message. */
export function describeErrno(error: unknown): string {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	if (code === 'ERR_INVALID_ARG_VALUE' || code === 'ERR_INVALID_ARG_TYPE') {
		return 'invalid path';
	}

	if (code && Object.hasOwn(reasons, code)) {
		return reasons[code]!;
	}

	return code ?? (error instanceof Error ? error.message : String(error));
}
