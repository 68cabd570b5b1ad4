import fs from 'node:fs';

export type Pidfile = {
	readonly path: string;
	/** Remove it if it is still ours. Idempotent; never throws. */
	remove(): void;
};

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/**
 * Create `filePath` exclusively with our pid. The lock is the file itself: a second daemon
 * finds it and refuses to start while the pid in it is alive; a file left by a dead daemon
 * (crash, SIGKILL) is stale and replaced. Throws a one-line error otherwise.
 */
export function createPidfile(filePath: string): Pidfile {
	for (let attempt = 0; attempt < 2; attempt++) {
		try {
			fs.writeFileSync(filePath, `${process.pid}\n`, {flag: 'wx', mode: 0o644});
			return {
				path: filePath,
				remove() {
					try {
						if (fs.readFileSync(filePath, 'utf8').trim() === String(process.pid)) {
							fs.rmSync(filePath, {force: true});
						}
					} catch {
						// Already gone.
					}
				},
			};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
				throw new Error(`pidfile ${filePath}: ${(error as Error).message}`);
			}
		}

		const text = readOrEmpty(filePath);
		const pid = Number.parseInt(text, 10);
		if (Number.isSafeInteger(pid) && pid > 0 && processAlive(pid)) {
			throw new Error(`pidfile ${filePath}: another daemon is running (pid ${pid})`);
		}

		if (text === '' && youngerThan(filePath, 5000)) {
			throw new Error(`pidfile ${filePath}: another daemon is starting`);
		}

		// Stale: its daemon is gone. Remove it and take it (once).
		fs.rmSync(filePath, {force: true});
	}

	throw new Error(`pidfile ${filePath}: could not be created`);
}

function readOrEmpty(filePath: string): string {
	try {
		return fs.readFileSync(filePath, 'utf8').trim();
	} catch {
		return '';
	}
}

/** A file created but not yet written belongs to a daemon starting right now. */
function youngerThan(filePath: string, ms: number): boolean {
	try {
		return Date.now() - fs.statSync(filePath).mtimeMs < ms;
	} catch {
		return false;
	}
}
