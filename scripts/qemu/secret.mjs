#!/usr/bin/env node
// The guest-only secret file of the QEMU e2e guest (/run/virtagent-e2e/secret.bin), recomputed
// on the host from the seed given on the kernel command line (va_seed=HEX):
//   block i (i = 0, 1, ...) = SHA-512 of the ASCII text "virtagent-e2e:<seed>:<i>"
//   contents = the blocks concatenated, cut to 4096 bytes (random-looking binary, NULs included).
// Usage: node secret.mjs SEED [--out FILE]  -> prints {"path","size","sha256"} as JSON.
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import {fileURLToPath} from 'node:url';

export const SECRET_PATH = '/run/virtagent-e2e/secret.bin';
export const SECRET_SIZE = 4096;

export function expectedSecret(seed, size = SECRET_SIZE) {
	const blocks = [];
	for (let i = 0, length = 0; length < size; i++) {
		const block = createHash('sha512').update(`virtagent-e2e:${seed}:${i}`).digest();
		blocks.push(block);
		length += block.length;
	}
	return Buffer.concat(blocks).subarray(0, size);
}

export const sha256 = data => createHash('sha256').update(data).digest('hex');

/** The line the guest's /init writes to the kernel log (for a dmesg check). */
export const kmsgMarker = seed => `virtagent-e2e: kmsg marker ${seed}`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const seed = process.argv[2];
	if (!seed || !/^[0-9a-f]+$/i.test(seed)) {
		console.error('usage: node secret.mjs SEED_HEX [--out FILE]');
		process.exit(2);
	}
	const data = expectedSecret(seed);
	const out = process.argv.indexOf('--out');
	if (out >= 0) fs.writeFileSync(process.argv[out + 1], data);
	console.log(JSON.stringify({path: SECRET_PATH, size: data.length, sha256: sha256(data), kmsgMarker: kmsgMarker(seed)}));
}
