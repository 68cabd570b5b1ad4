import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {HistoryFile, loadHistory} from '../../../src/monitor/ui/history-file.js';
import {addToHistory} from '../../../src/monitor/ui/line-editor.js';
import {tempDir} from '../../helpers/socket-pair.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
	for (const cleanup of cleanups.splice(0)) {
		cleanup();
	}
});

function historyPath(): string {
	const {dir, remove} = tempDir('va-history-');
	cleanups.push(remove);
	return path.join(dir, 'history');
}

describe('history file', () => {
	it('a missing file is an empty history', async () => {
		expect(await loadHistory(historyPath())).toEqual([]);
	});

	it('appends submitted lines and loads them back, bounded, without repeats', async () => {
		const file = historyPath();
		writeFileSync(file, 'agent_ping\nagent_ping\n\nagent_viewdmesg\n');
		expect(await loadHistory(file)).toEqual(['agent_ping', 'agent_viewdmesg']);

		const limit = 5;
		let history = await loadHistory(file, limit);
		const writer = new HistoryFile(file, history.length, limit);
		for (let index = 0; index < 20; index++) {
			history = addToHistory(history, `cmd ${index}`, limit);
			void writer.append(`cmd ${index}`, history);
		}

		await writer.flushed();
		const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
		expect(lines.length).toBeLessThan(2 * limit);
		expect(await loadHistory(file, limit)).toEqual(['cmd 15', 'cmd 16', 'cmd 17', 'cmd 18', 'cmd 19']);
	});

	it('a file it cannot write does not throw', async () => {
		const writer = new HistoryFile(path.join(historyPath(), 'no-such-dir', 'history'), 0);
		await expect(writer.append('agent_ping', ['agent_ping'])).resolves.toBeUndefined();
	});
});
