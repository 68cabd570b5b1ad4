#!/usr/bin/env node
// Runs after every install (package.json "postinstall"): bounds the two text caches of Ink 6.8.
//
// Ink's measure-text.js and wrap-text.js memoize every distinct text they ever see in a
// module-level Map / object that is never emptied (upstream vadimdemedes/ink#986, fixed only in
// Ink 7, which needs a newer Node). The live screen shows ages, counters, transitions and the
// guest's own strings, so a monitor left open grew without end, and a guest could make it grow
// faster by sending many distinct long strings. Also, wrap-text's key joined text, width and wrap
// mode with no separator, so 'x1' at width 5 and 'x' at width 15 shared a key, and the second
// got the first one's text. This rewrites the two caches to hold at most `limit` entries (a frame
// measures a few hundred texts, so a steady screen still hits them) and gives the key separators.
// Each edit replaces exact original text and the script fails if it is not found: an Ink update
// must be looked at again. It is idempotent (a second run finds the marker and does nothing).
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const limit = 2048;
const marker = '// Bounded by virtagent (scripts/bound-ink-caches.mjs).';
const inkBuild = path.dirname(fileURLToPath(import.meta.resolve('ink')));

const edits = {
	'measure-text.js': [
		['const cache = new Map();', `${marker}\nconst cache = new Map();`],
		['    cache.set(text, dimensions);', `    if (cache.size >= ${limit}) {\n        cache.clear();\n    }\n    cache.set(text, dimensions);`],
	],
	'wrap-text.js': [
		['const cache = {};', `${marker}\nconst cache = new Map();`],
		['    const cacheKey = text + String(maxWidth) + String(wrapType);', "    const cacheKey = String(maxWidth) + '\\0' + String(wrapType) + '\\0' + text;"],
		['    const cachedText = cache[cacheKey];', '    const cachedText = cache.get(cacheKey);'],
		['    cache[cacheKey] = wrappedText;', `    if (cache.size >= ${limit}) {\n        cache.clear();\n    }\n    cache.set(cacheKey, wrappedText);`],
	],
};

for (const [name, replacements] of Object.entries(edits)) {
	const file = path.join(inkBuild, name);
	let text = fs.readFileSync(file, 'utf8');
	if (text.includes(marker)) {
		continue;
	}

	for (const [original, bounded] of replacements) {
		if (text.split(original).length !== 2) {
			throw new Error(`bound-ink-caches: ${file} does not hold this line exactly once (a different Ink?): ${original.trim()}`);
		}

		text = text.replace(original, bounded);
	}

	fs.writeFileSync(file, text);
	process.stderr.write(`bound-ink-caches: ${path.relative(process.cwd(), file)}: cache bounded to ${limit} entries\n`);
}
