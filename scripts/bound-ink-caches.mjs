#!/usr/bin/env node
// Runs after every install (package.json "postinstall"): bounds Ink 6.8's text caches, and keeps
// the ones it makes for each frame from one frame to the next.
//
// Ink's measure-text.js and wrap-text.js memoize every distinct text they ever see in a
// module-level Map / object that is never emptied (upstream vadimdemedes/ink#986, fixed only in
// Ink 7, which needs a newer Node). The live screen shows ages, counters, transitions and the
// guest's own strings, so a monitor left open grew without end, and a guest could make it grow
// faster by sending many distinct long strings. Also, wrap-text's key joined text, width and wrap
// mode with no separator, so 'x1' at width 5 and 'x' at width 15 shared a key, and the second
// got the first one's text. This rewrites the two caches to hold at most `limit` entries (a frame
// measures a few hundred texts, so a steady screen still hits them) and gives the key separators.
// Ink's output.js makes new caches for every frame, so every line of every frame was tokenized
// into styled cells again (Intl.Segmenter on each, ~28% of a frame of the bench's screen), and
// render-node-to-output.js measured every text node's widest line again (~12%): the output's caches
// now live across frames, bounded (the styled cells by their count: ~3 MB at most), and the widest
// line comes from measure-text's cache. Each cached value is a pure function of its key, and Ink
// only reads the cells it gets back, so a frame is drawn byte for byte as before.
// Each edit replaces exact original text and the script fails if it is not found: an Ink update
// must be looked at again. It is idempotent (a second run finds the marker and does nothing).
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const limit = 2048;
/** Styled cells the output's line cache holds at most (~330 bytes each on the heap, so ~2.7 MB): every line of ~3 frames of 100×30. */
const cellLimit = 8192;
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
	'output.js': [
		['    styledChars = new Map();', `    ${marker}\n    styledChars = new Map();\n    styledCharCount = 0;`],
		[
			'            this.styledChars.set(line, cached);',
			`            this.styledCharCount += cached.length;\n            if (this.styledCharCount > ${cellLimit}) {\n                this.styledChars.clear();\n                this.styledCharCount = cached.length;\n            }\n            this.styledChars.set(line, cached);`,
		],
		[
			'            this.widths.set(text, cached);',
			`            if (this.widths.size >= ${limit}) {\n                this.widths.clear();\n            }\n            this.widths.set(text, cached);`,
		],
		[
			'            this.blockWidths.set(text, cached);',
			`            if (this.blockWidths.size >= ${limit}) {\n                this.blockWidths.clear();\n            }\n            this.blockWidths.set(text, cached);`,
		],
		[
			'export default class Output {',
			'// One set of caches for every frame (virtagent): a line drawn again is not tokenized again.\nconst sharedCaches = new OutputCaches();\nexport default class Output {',
		],
		['    caches = new OutputCaches();', '    caches = sharedCaches;'],
	],
	'render-node-to-output.js': [
		["import wrapText from './wrap-text.js';", `${marker}\nimport measureText from './measure-text.js';\nimport wrapText from './wrap-text.js';`],
		['                const currentWidth = widestLine(text);', '                const currentWidth = measureText(text).width;'],
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

		text = text.split(original).join(bounded);
	}

	fs.writeFileSync(file, text);
	process.stderr.write(`bound-ink-caches: ${path.relative(process.cwd(), file)}: caches bounded\n`);
}
