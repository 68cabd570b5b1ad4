/**
 * Whether the monitor writes colours, decided once at start and given to chalk (which Ink
 * colours through too). chalk 5 decides by itself from FORCE_COLOR and the stream, ignores
 * NO_COLOR, and turns colours off whenever a `CI` variable exists: not what an operator asks for.
 */
import chalk, {type ColorSupportLevel} from 'chalk';

export type ColorChoice = 'auto' | 'always' | 'never';

export const colorChoices: readonly ColorChoice[] = ['auto', 'always', 'never'];

export function isColorChoice(value: string): value is ColorChoice {
	return (colorChoices as readonly string[]).includes(value);
}

/** FORCE_COLOR as Node reads it: `0`/`false` off, `1`–`3` that level, anything else on. */
function forcedLevel(value: string): ColorSupportLevel {
	if (value === '0' || value === 'false') {
		return 0;
	}

	return value === '2' ? 2 : value === '3' ? 3 : 1;
}

/**
 * `--color` first; then, for `auto`, FORCE_COLOR (as in Node, it wins over NO_COLOR), then
 * NO_COLOR (set and not empty: no colour), then a terminal that is not `TERM=dumb` gets colours.
 * `always` keeps a FORCE_COLOR level above 1.
 */
export function colorLevel(choice: ColorChoice, env: NodeJS.ProcessEnv, isTTY: boolean): ColorSupportLevel {
	const forced = env.FORCE_COLOR;
	switch (choice) {
		case 'never': {
			return 0;
		}

		case 'always': {
			return forced === undefined ? 1 : (Math.max(1, forcedLevel(forced)) as ColorSupportLevel);
		}

		case 'auto': {
			if (forced !== undefined) {
				return forcedLevel(forced);
			}

			if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') {
				return 0;
			}

			return isTTY && env.TERM !== 'dumb' ? 1 : 0;
		}
	}
}

/** Set the colour level for everything that writes (chalk's one instance, shared with Ink). */
export function applyColor(choice: ColorChoice, env: NodeJS.ProcessEnv = process.env, isTTY = process.stdout.isTTY === true): ColorSupportLevel {
	chalk.level = colorLevel(choice, env, isTTY);
	return chalk.level;
}
