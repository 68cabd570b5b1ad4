import {parseArgs} from 'node:util';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {argTokens, valueOptions} from '../../src/guest/options.js';

// The daemon reads its arguments without node:util parseArgs (its start-up cost): the tokens must
// be the ones parseArgs gives for the same options with strict: false.
const options = {
	...Object.fromEntries(valueOptions.map(name => [name, {type: 'string' as const}])),
	verbose: {type: 'boolean' as const, short: 'v'},
	version: {type: 'boolean' as const, short: 'V'},
	help: {type: 'boolean' as const, short: 'h'},
};

function nodeTokens(args: string[]) {
	const {tokens} = parseArgs({args, options, strict: false, allowPositionals: true, tokens: true});
	return tokens.map(token =>
		token.kind === 'option'
			? {kind: token.kind, name: token.name, rawName: token.rawName, value: token.value}
			: token.kind === 'positional'
				? {kind: token.kind, value: token.value}
				: {kind: token.kind},
	);
}

const word = fc.constantFrom(
	'--channel',
	'--path',
	'--path=/dev/x',
	'--verbose',
	'--verbose=yes',
	'-v',
	'-V',
	'-h',
	'-vh',
	'-x',
	'-vx',
	'--bogus',
	'--bogus=1',
	'--',
	'-',
	'plain',
	'--shutdown-command',
	'poweroff -f',
	'--=x',
	'---triple',
	'-\u{1F600}v',
	'--=',
	'--=a=b',
	'- -',
	'-v-x',
	'',
);

describe('argTokens', () => {
	it('reads arguments as node:util parseArgs does (strict: false)', () => {
		fc.assert(
			fc.property(fc.array(fc.oneof(word, fc.string()), {maxLength: 8}), args => {
				expect(argTokens(args)).toEqual(nodeTokens(args));
			}),
			{numRuns: 5000},
		);
	});
});
