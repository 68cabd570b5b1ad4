// `npm run mutate` (issue #10): mutation testing of the parts that defend the two ends.
// One folder alone: `npm run mutate -- --mutate 'src/protocol/**/*.ts'`.
// Two cores shared by several people: one test process, and incremental mode, so that a re-run
// only tests the mutants whose code or tests changed (reports/stryker-incremental.json).
// The codec's date test moves process.env.TZ to a +05:30 zone and checks it took effect; in
// Stryker's vitest worker that change does not reach the clock, so the runner starts there.
process.env.TZ = 'Asia/Kolkata';
// VA_MUTATE_GROUP names one folder's run (npm run mutate:engine …): its own incremental file and
// reports, so that runs of different groups never invalidate each other's results.
const group = process.env.VA_MUTATE_GROUP ? `-${process.env.VA_MUTATE_GROUP}` : '';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
	testRunner: 'vitest',
	vitest: {configFile: 'vitest.mutate.config.ts'},
	plugins: ['@stryker-mutator/vitest-runner'],
	mutate: [
		'src/protocol/**/*.ts',
		'src/wire/**/*.ts',
		'src/engine/**/*.ts',
		'src/monitor/escape.ts',
		'src/guest/rpcs/**/*.ts',
		'src/monitor/connection.ts',
		'!**/*.d.ts',
	],
	concurrency: 1,
	// Mutants in module-level code need a fresh module per run (most of the time for a quarter of
	// the mutants); they are reported as ignored.
	ignoreStatic: true,
	incremental: true,
	incrementalFile: `reports/stryker-incremental${group}.json`,
	// perTest runs only the tests that reached a mutant; code reached only from a hook or a socket
	// callback after its test ended counts as uncovered there: VA_MUTATE_COVERAGE=all runs every test.
	coverageAnalysis: process.env.VA_MUTATE_COVERAGE === 'all' ? 'all' : 'perTest',
	reporters: ['clear-text', 'progress', 'json', 'html'],
	jsonReporter: {fileName: `reports/mutation/mutation${group}.json`},
	htmlReporter: {fileName: `reports/mutation/mutation${group}.html`},
	timeoutMS: 20_000,
	ignorePatterns: ['dist', 'reports', 'bench/results', '.stryker-tmp'],
	tempDirName: '.stryker-tmp',
	cleanTempDir: true,
};
