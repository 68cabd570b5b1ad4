'use strict';
// The entry of the guest executable when it is built with a warm code cache (scripts/build-guest.mjs):
// runs the bundled daemon, an asset of the executable, with V8's code cache made by
// scripts/guest-warm-cache.mjs after the daemon has said hello and answered requests, so the
// functions used until the first answers are not compiled again at each start (under emulation,
// ~8% of the instructions from exec to the first answer). Run by plain Node (the warm-up), it
// reads the bundle from VA_GUEST_BUNDLE and writes the cache to VA_GUEST_CACHE_OUT at exit.
const vm = require('node:vm');
const sea = require('node:sea');

const inExecutable = sea.isSea();
// Read as latin1, not UTF-8: the bundle is ASCII but for comments (build-guest.mjs checks), and
// decoding its ~200 KB as UTF-8 cost ~2.3M instructions at each start. The warm-up reads it the
// same way: V8 takes the code cache only for a source of the same length. getRawAsset, not
// getAsset: the executable's own bytes, not a copy of each (read only; ~0.3M instructions less).
// (getRawAsset is in Node since 20.12.)
const asset = sea.getRawAsset ?? sea.getAsset;
const source = Buffer.from(inExecutable ? asset('daemon.cjs') : require('node:fs').readFileSync(process.env.VA_GUEST_BUNDLE)).latin1Slice();
const cachedData = inExecutable ? Buffer.from(asset('daemon.cache')) : undefined;
// The CommonJS wrapper, as Node would add it: the bundle is one CommonJS script.
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
	filename: 'virtagent-guest.cjs',
	cachedData,
});
if (!inExecutable && process.env.VA_GUEST_CACHE_OUT) {
	const out = process.env.VA_GUEST_CACHE_OUT;
	process.once('exit', () => require('node:fs').writeFileSync(out, script.createCachedData()));
}

// (A rejected cache, e.g. from another V8, only costs the compilation it would have saved.)
script.runInThisContext()(module.exports, require, module, __filename, __dirname);

// Once the synchronous start-up is over: V8 optimizes a function after it has run this much
// bytecode (in bytes, times a few ticks), 4x sooner than its default (67,584). Under emulation
// a host's first thousand requests otherwise ran on code still waiting for the optimizing
// compiler: counted with callgrind over requests 1,500 to 4,500 of a connection, 148k
// instructions per va.ping by default, 50k with this. Set from the start, it made start-up
// +25% (start-up's own loops got optimized): hence after it. Not in the warm-up that makes the
// code cache: V8 stamps the cache with a hash of its flags when it is made, and rejects it under
// other flags (those of the start, here).
if (inExecutable || !process.env.VA_GUEST_CACHE_OUT) {
	setTimeout(() => require('node:v8').setFlagsFromString('--interrupt-budget=16384'), 0).unref();
}
