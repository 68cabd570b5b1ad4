import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
		// Property tests reach their limits (test/setup/fast-check.ts).
		setupFiles: ['test/setup/fast-check.ts'],
		testTimeout: 30_000,
		hookTimeout: 30_000,
		// Tests start real processes and sockets; two cores, so keep the pool small.
		maxWorkers: 2,
		// Ink draws no live frames when it believes it runs in CI (is-in-ci reads CI at import):
		// the screen's tests must see the same frames on a laptop and in CI.
		env: {CI: 'false'},
	},
});
