import chalk from 'chalk';
import {escapeLine} from '../escape.js';

/** The prompt, and the echo of an entered line. */
export const promptText = '(virtagent) ';

/** A finished line of the session: written once above the live region, never redrawn. */
export type ScrollItem = {
	readonly kind: 'echo' | 'output' | 'error' | 'note';
	readonly text: string;
	/** An echo's prompt, when not `(virtagent) ` (the target of a fleet: `(virtagent web1) `). */
	readonly prompt?: string;
};

/**
 * The item as terminal text, ending with a newline. Outcome text comes escaped from the
 * session; the echo is the operator's line, escaped here; notes are ours.
 */
export function formatScrollItem({kind, text, prompt = promptText}: ScrollItem): string {
	switch (kind) {
		case 'echo': {
			return `${chalk.bold(prompt)}${escapeLine(text)}\n`;
		}

		case 'error': {
			return `${chalk.red(text)}\n`;
		}

		case 'note': {
			return `${chalk.dim(text)}\n`;
		}

		case 'output': {
			// Like cat: output that ends with a newline (a file, dmesg) gets no blank line after it.
			return text.endsWith('\n') ? text : `${text}\n`;
		}
	}
}
