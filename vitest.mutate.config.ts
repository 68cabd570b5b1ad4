import {defineConfig, mergeConfig} from 'vitest/config';
import base from './vitest.config.js';

// The tests StrykerJS runs against each mutant: the in-process ones. Tests that spawn
// `bin/virtagent.js` run the compiled dist/, which the mutants never reach, so they only cost
// time there (they still run in `npm test`).
export default mergeConfig(
	base,
	defineConfig({
		test: {
			include: ['test/protocol/**/*.test.ts', 'test/engine/**/*.test.ts', 'test/monitor/**/*.test.ts', 'test/guest/units.test.ts', 'test/wire/**/*.test.ts', 'test/mutation/**/*.test.ts'],
			exclude: ['test/monitor/cli.test.ts', 'test/monitor/ui/**', 'test/protocol/codec-python.test.ts'],
			maxWorkers: 1,
		},
	}),
);
