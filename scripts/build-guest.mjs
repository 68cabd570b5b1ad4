#!/usr/bin/env node
// `npm run build:guest`: the guest daemon as ONE executable, dist/virtagent-guest (a Node 20
// single executable application; README "The guest executable").
//   1. esbuild bundles the guest's entry alone (dist/src/guest/exe-main.js, compiled by tsc) into
//      one CommonJS script: Node 20 embeds one CJS script, and the guest needs none of the
//      monitor (Ink's yoga-layout cannot go into a CJS bundle anyway);
//   2. `node --experimental-sea-config` turns it into a blob, with V8's code cache made after a
//      warm-up run of the daemon (guest-warm-cache.mjs; the bundle and the cache are assets that
//      scripts/guest-loader.cjs runs; VA_SEA_WARM_CACHE=0: Node's own code cache of the top level
//      instead). No start-up snapshot: it saved ~5% of the instructions to the hello, but Node
//      refuses it (and the executable exits) on a CPU whose features differ from the build
//      machine's, e.g. the e2e's emulated one (docs/guest.md); a code cache holds bytecode only,
//      and a rejected one would only cost the compilation it saves;
//   3. a copy of this Node, without its debug symbols, gets the blob injected by postject.
// Run-time look-ups on disk (createRequire(import.meta.url), a script beside a module) would
// break in the executable: the build fails if esbuild reports a use of import.meta.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import * as esbuild from 'esbuild';
import {warmCodeCache} from './guest-warm-cache.mjs';
import {makeSingleExecutable} from './single-executable.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(repo, 'dist');
const work = path.join(dist, 'guest-exe');
const entry = path.join(dist, 'src/guest/exe-main.js');
const output = path.join(dist, 'virtagent-guest');
const bundle = path.join(work, 'virtagent-guest.cjs');
const blob = path.join(work, 'sea-prep.blob');
const useCodeCache = process.env.VA_SEA_CODE_CACHE !== '0';

function log(message) {
	process.stderr.write(`build:guest: ${message}\n`);
}

if (!fs.existsSync(entry)) {
	throw new Error(`${entry} is missing: run npm run build first`);
}

fs.rmSync(work, {recursive: true, force: true});
fs.mkdirSync(work, {recursive: true});

/**
 * Modules the daemon needs only on rare paths, loaded at their first use instead of before the
 * hello: each import of one becomes a stand-in whose functions require the real module when
 * called. Under emulation every instruction of start-up counts (boot-to-hello); counted with
 * callgrind from exec to the hello, sax's evaluation was ~4% of it and node:child_process ~1%.
 * Functions only, named here: esbuild refuses to build an import of any other name.
 */
const lazyModules = {
	// The XML parser of last resort (xmlrpc-reader.ts): the scanner reads what peers send.
	sax: ['parser'],
	// The shutdown command, the dmesg fallback, stty for isa-serial.
	'node:child_process': ['spawn', 'spawnSync'],
	// UNIX and TCP channels only: the port is polled without it (src/transport/polled-device.ts), and
	// loading node:net with the stream modules under it was ~9M instructions before the hello.
	// Socket: an accepted connection's handle moves to a socket that reads through onread (endpoint.ts).
	'node:net': ['connect', 'createServer', 'Socket'],
};

function lazyModulesPlugin() {
	const namespace = 'lazy-module';
	return {
		name: namespace,
		setup(build) {
			const filter = new RegExp(`^(${Object.keys(lazyModules).join('|')})$`);
			// The stand-in's own require() of the module resolves normally.
			build.onResolve({filter}, args => (args.namespace === namespace ? undefined : {path: args.path, namespace}));
			build.onLoad({filter: /.*/, namespace}, args => {
				const name = JSON.stringify(args.path);
				const exports = lazyModules[args.path].map(fn => `export function ${fn}(...args) {\n\treturn load().${fn}(...args);\n}`).join('\n');
				const contents = `let real;\nconst load = () => (real ??= require(${name}));\n${exports}\nexport default {${lazyModules[args.path].join(', ')}};\n`;
				return {contents, resolveDir: repo, loader: 'js'};
			});
		},
	};
}

const result = await esbuild.build({
	entryPoints: [entry],
	outfile: bundle,
	bundle: true,
	platform: 'node',
	format: 'cjs',
	target: 'node20',
	minify: false,
	legalComments: 'none',
	logLevel: 'silent',
	metafile: true,
	plugins: [lazyModulesPlugin()],
});
const importMeta = result.warnings.filter(warning => /import\.meta/.test(warning.text));
if (importMeta.length > 0) {
	const where = importMeta.map(warning => `  ${warning.location?.file}:${warning.location?.line}: ${warning.text}`).join('\n');
	throw new Error(`the bundle would look up files at run time (import.meta):\n${where}`);
}

const inputs = Object.keys(result.metafile.inputs);
const strays = inputs.filter(input => /node_modules[\\/](ink|react|yoga|chalk)/.test(input));
if (strays.length > 0) {
	throw new Error(`the guest bundle pulled in the monitor's libraries: ${strays.join(', ')}`);
}

/**
 * `import fs from 'node:fs'` becomes `__toESM(require('node:fs'), 1)` in a CommonJS bundle: a new
 * object with one getter per export of the module, made at start-up for each file that imports it
 * (~100 for node:fs, eight files). Our code reads only `.default` of these, so `{default: module}`
 * is the same to it: counted with callgrind, 4.5M instructions less before the hello (~8% of ours).
 * An import used any other way is left as esbuild made it.
 */
function withoutNamespaceCopies(text) {
	return text.replace(/^var (\w+) = __toESM\(require\("(node:[\w/]+)"\), 1\);$/gm, (line, name, module) => {
		const otherUse = new RegExp(`\\b${name}\\.(?!default\\b)|\\b${name}\\b(?!\\.)`, 'g');
		const uses = text.match(otherUse) ?? [];
		// The declaration itself is the one bare use allowed.
		return uses.length === 1 ? `var ${name} = { default: require(${JSON.stringify(module)}) };` : line;
	});
}

/**
 * The loader reads the bundle as latin1 (decoding ~200 KB as UTF-8 cost ~2.3M instructions at each
 * start): that is only right if every character outside comments is ASCII, as esbuild writes
 * strings, patterns and names by default.
 */
function checkAsciiOutsideComments(text) {
	const lines = text.split('\n');
	const stray = lines.findIndex(line => /[^\x00-\x7f]/.test(line) && !/^\s*(\/\/|\/\*|\*)/.test(line));
	if (stray >= 0) {
		throw new Error(`the bundle has a non-ASCII character outside a comment at line ${stray + 1}: ${lines[stray].trim().slice(0, 120)}`);
	}
}

/** A lazy module's default import can only offer the functions named above: anything else read from it would be undefined. */
function checkLazyDefaults(text) {
	for (const [module, names] of Object.entries(lazyModules)) {
		const standIn = new RegExp(`\\b${module.replaceAll(/\W/g, '_')}_default\\d*\\.(\\w+)`, 'g');
		const missing = [...text.matchAll(standIn)].map(match => match[1]).filter(name => !names.includes(name));
		if (missing.length > 0) {
			throw new Error(`${module} is loaded lazily (lazyModules) but the bundle uses ${missing.join(', ')} of it: add them there`);
		}
	}
}

const bundled = withoutNamespaceCopies(fs.readFileSync(bundle, 'utf8'));
checkLazyDefaults(bundled);
checkAsciiOutsideComments(bundled);
fs.writeFileSync(bundle, bundled);
log(`bundle ${path.relative(repo, bundle)}: ${fs.statSync(bundle).size} bytes from ${inputs.length} files`);

// The code cache: by default made after a warm-up run of the daemon (guest-warm-cache.mjs), which
// holds every function used until the first answers; Node's own (useCodeCache) holds only the
// top level, so the rest was compiled at each start. Counted with callgrind from exec to the first
// answered request: 151M -> 139M instructions. The bundle and the cache are then assets read by a
// small loader (scripts/guest-loader.cjs).
const warm = useCodeCache && process.env.VA_SEA_WARM_CACHE !== '0';
let sea = {main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache};
if (warm) {
	const cache = path.join(work, 'daemon.cache');
	const over = await warmCodeCache({repo, bundle, work, out: cache});
	sea = {
		main: path.join(repo, 'scripts/guest-loader.cjs'),
		output: blob,
		disableExperimentalSEAWarning: true,
		useCodeCache: false,
		assets: {'daemon.cjs': bundle, 'daemon.cache': cache},
	};
	log(`code cache after a warm-up over ${over}: ${fs.statSync(cache).size} bytes`);
}

makeSingleExecutable(sea, output, log);

const version = execFileSync(output, ['--version'], {encoding: 'utf8'}).trim();
log(
	`${path.relative(repo, output)}: ${fs.statSync(output).size} bytes, --version: ${version} (code cache ${warm ? 'after a warm-up' : useCodeCache ? 'on' : 'off'})`,
);
