import {describe, expect, it} from 'vitest';
import {completeWord} from '../../../src/monitor/ui/completion.js';

describe('completeWord', () => {
	it('one candidate completes the word and adds a space', () => {
		expect(completeWord('agent_p', ['agent_ping'])).toEqual({text: 'agent_ping ', list: []});
		expect(completeWord('agent_shutdown po', ['powerdown'])).toEqual({text: 'agent_shutdown powerdown ', list: []});
	});

	it('several extend the word to their common prefix and are listed', () => {
		expect(completeWord('agent_v', ['agent_viewfile', 'agent_viewdmesg'])).toEqual({text: 'agent_view', list: ['agent_viewdmesg', 'agent_viewfile']});
		expect(completeWord('agent_', ['agent_ping', 'agent_viewfile'])).toEqual({text: undefined, list: ['agent_ping', 'agent_viewfile']});
	});

	it('ignores candidates that do not extend the word', () => {
		expect(completeWord('agent_shutdown h', ['halt', 'reboot'])).toEqual({text: 'agent_shutdown halt ', list: []});
		expect(completeWord('zz', ['agent_ping'])).toEqual({text: undefined, list: []});
	});
});
