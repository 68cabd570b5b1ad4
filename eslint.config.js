// Lint for the whole tree (issue #9 item 7, #10): typescript-eslint's recommended rules, and
// eslint-plugin-regexp so that no pattern can backtrack super-linearly on untrusted input
// (docs/PROTOCOL.md §7: parsing is linear in the input).
import js from '@eslint/js';
import regexp from 'eslint-plugin-regexp';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
	{
		ignores: ['dist/**', 'node_modules/**', 'reports/**', '.stryker-tmp/**', 'bench/results/**', 'coverage/**'],
	},
	{
		files: ['**/*.{ts,tsx,js,mjs,cjs}'],
		extends: [js.configs.recommended, ...tseslint.configs.recommended, regexp.configs['flat/recommended']],
		languageOptions: {
			ecmaVersion: 2023,
			sourceType: 'module',
			globals: {...globals.node},
		},
		linterOptions: {
			// A disable comment that no longer silences anything is an error: they must not pile up again.
			reportUnusedDisableDirectives: 'error',
		},
		rules: {
			// The two rules that keep every pattern linear; errors, never warnings.
			'regexp/no-super-linear-backtracking': 'error',
			'regexp/no-super-linear-move': 'error',
			// `_name` marks a parameter that an interface requires but this implementation ignores.
			'@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none'}],
			// This project matches control characters on purpose: that is how untrusted text is
			// escaped (§7); the rule would ask for a disable comment on every escaper.
			'no-control-regex': 'off',
			// Pure spelling preferences of the regexp plugin ([0-9] vs \d, [a-zA-Z] vs the i flag,
			// \x0b vs \v, unused groups): they say nothing about correctness or speed, and rewriting
			// patterns in files other people own is churn for no gain.
			'regexp/prefer-d': 'off',
			'regexp/prefer-w': 'off',
			'regexp/use-ignore-case': 'off',
			'regexp/control-character-escape': 'off',
			'regexp/no-unused-capturing-group': 'off',
		},
	},
	{
		// Plain JavaScript files (bin, scripts, e2e helpers) are not typed.
		files: ['**/*.{js,mjs,cjs}'],
		rules: {
			'@typescript-eslint/no-require-imports': 'off',
		},
	},
);
