// The type-aware pass (`npm run lint:types`): the base rules plus the promise rules that need
// types (no promise may reject unhandled, docs/PROTOCOL.md §4 and issue #10). It takes about
// four times as long as `npm run lint` on two cores, so `npm test` runs the fast pass only.
import base from './eslint.config.js';

export default [
	...base,
	{
		files: ['**/*.{ts,tsx}'],
		languageOptions: {parserOptions: {projectService: true, tsconfigRootDir: import.meta.dirname}},
		rules: {
			'@typescript-eslint/no-floating-promises': 'error',
			'@typescript-eslint/no-misused-promises': 'error',
		},
	},
];
