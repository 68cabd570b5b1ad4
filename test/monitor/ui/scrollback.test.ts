import {describe, expect, it} from 'vitest';
import {formatScrollItem} from '../../../src/monitor/ui/scrollback.js';

const plain = (text: string) => text.replaceAll(/\u001B\[[0-9;]*m/gu, '');

describe('scrollback lines', () => {
	it('end output with exactly one newline, like cat', () => {
		expect(formatScrollItem({kind: 'output', text: 'ok'})).toBe('ok\n');
		expect(formatScrollItem({kind: 'output', text: 'vm\n'})).toBe('vm\n');
		expect(formatScrollItem({kind: 'output', text: 'two\n\n'})).toBe('two\n\n');
	});

	it("echo the operator's line after the prompt, with control characters made visible", () => {
		expect(plain(formatScrollItem({kind: 'echo', text: 'agent_viewfile "\u001B[2J"'}))).toBe('(virtagent) agent_viewfile "\\x1b[2J"\n');
		expect(plain(formatScrollItem({kind: 'error', text: 'error: x'}))).toBe('error: x\n');
	});
});
