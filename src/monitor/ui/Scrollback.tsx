import {Static, Text} from 'ink';
import {promptText} from './Prompt.js';
import {escapeLine} from '../escape.js';
import type {ScrollItem} from './use-throttled-screen.js';

export type ScrollbackProps = {
	readonly items: readonly ScrollItem[];
};

/**
 * Finished output, written once above the live region (`<Static>`): long sessions stay smooth.
 * Outcome text comes escaped from the session; echoes and notes are ours.
 */
export default function Scrollback({items}: ScrollbackProps) {
	return (
		// Static only reads the array (its type asks for a mutable one).
		<Static items={items as ScrollItem[]}>
			{item => {
				switch (item.kind) {
					case 'echo': {
						return (
							<Text key={item.id}>
								<Text bold>{promptText}</Text>
								{escapeLine(item.text)}
							</Text>
						);
					}

					case 'error': {
						return (
							<Text key={item.id} color="red">
								{item.text}
							</Text>
						);
					}

					case 'note': {
						return (
							<Text key={item.id} dimColor>
								{item.text}
							</Text>
						);
					}

					case 'output': {
						return <Text key={item.id}>{item.text}</Text>;
					}
				}
			}}
		</Static>
	);
}
