import path from 'node:path';
import {fileURLToPath} from 'node:url';

/** This file runs from dist/bench/lib/; the project root is three levels up. */
const here = path.dirname(fileURLToPath(import.meta.url));

export const projectRoot = path.resolve(here, '../../..');
export const cliPath = path.join(projectRoot, 'bin', 'virtagent.js');

/** A compiled bench module (e.g. `peers/echo-main.js`), for spawning as a child process. */
export function benchModule(relative: string): string {
	return path.resolve(here, '..', relative);
}
