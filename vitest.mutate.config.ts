import {defineConfig} from 'vitest/config';

// The tests StrykerJS runs against each mutant: the in-process ones. Tests that spawn
// `bin/virtagent.js` run the compiled dist/, which the mutants never reach (and Stryker's
// sandbox has no dist/), so they only cost time there; they still run in `npm test`.
// Standalone, not merged with vitest.config.ts: a merge would concatenate the include lists.
export default defineConfig({
	test: {
		// VA_MUTATE_TESTS (comma-separated globs) narrows the set for one folder's run: the
		// protocol is reached by nearly every test, and running them all per mutant takes hours.
		include: process.env.VA_MUTATE_TESTS?.split(',') ?? [
			'test/protocol/**/*.test.ts',
			'test/engine/**/*.test.ts',
			'test/wire/**/*.test.ts',
			'test/monitor/*.test.ts',
			'test/guest/units.test.ts',
			'test/mutation/**/*.test.ts',
		],
		exclude: ['test/monitor/cli.test.ts', 'test/protocol/codec-python.test.ts'],
		setupFiles: ['test/setup/fast-check.ts'],
		testTimeout: 30_000,
		hookTimeout: 30_000,
		maxWorkers: 1,
		env: {CI: 'false'},
	},
});
