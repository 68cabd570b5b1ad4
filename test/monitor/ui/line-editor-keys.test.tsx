/**
 * The prompt's readline keys through the real screen (Ink, its input parser, the App) on a fake
 * terminal: the bytes a terminal sends for each key go in, the screen is read back.
 */
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {startInteractive} from '../../../src/monitor/ui/start.js';
import {tempDir, waitFor} from '../../helpers/socket-pair.js';
import {pairedSession} from './helpers/paired-session.js';
import {FakeStdin, FakeStdout, tick} from './helpers/fake-tty.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

/** The screen as startInteractive runs it, with `history` in its history file. */
async function shell(history: readonly string[] = [], historyFile?: string) {
	const paired = await pairedSession();
	cleanups.push(async () => paired.close());
	const {dir, remove} = tempDir('va-keys-');
	cleanups.push(remove);
	const file = historyFile ?? path.join(dir, 'history');
	if (historyFile === undefined) {
		const {writeFileSync} = await import('node:fs');
		writeFileSync(file, history.map(line => `${line}\n`).join(''));
	}

	const stdin = new FakeStdin();
	const stdout = new FakeStdout();
	let stderr = '';
	const exitCode = startInteractive(paired.session, {
		historyFile: file,
		stdin: stdin as unknown as NodeJS.ReadStream,
		stdout,
		stderr: {
			write(text: string) {
				stderr += text;
			},
		},
		patchConsole: false,
	});
	cleanups.push(async () => {
		// Ctrl-G (leave a search), Ctrl-E Ctrl-U (empty the line), Ctrl-D (quit).
		for (const key of ['\u0007', '\u0005', '\u0015', '\u0004']) {
			stdin.write(key);
			await tick();
		}

		await exitCode;
	});
	const frame = () => stdout.screen();
	const prompt = () =>
		frame()
			.split('\n')
			.findLast(line => line.startsWith('(virtagent)') || line.includes('reverse-i-search)'))
			?.trimEnd() ?? '';
	const until = async (predicate: () => boolean, what: string) =>
		waitFor(predicate, 5000, what).catch((error: unknown) => {
			throw new Error(`${(error as Error).message}; screen:\n${frame()}`);
		});
	await until(() => frame().includes('(virtagent)'), 'the prompt');
	/** One key press: one chunk, as a terminal sends it, then a macrotask for Ink. */
	const press = async (bytes: string) => {
		stdin.write(bytes);
		await tick();
	};

	return {paired, frame, prompt, until, press, stderr: () => stderr};
}

describe('the prompt keys, as a terminal sends them', () => {
	it('Delete (ESC[3~) deletes forward, Backspace (DEL) backward', async () => {
		const {prompt, until, press} = await shell();
		for (const chunk of ['agent_pxing', '\u001B[D', '\u001B[D', '\u001B[D', '\u001B[D']) {
			await press(chunk);
		}

		await press('\u001B[3~');
		await until(() => prompt() === '(virtagent) agent_ping', 'Delete removed the x after the cursor');
		await press('\u007F');
		await until(() => prompt() === '(virtagent) agent_ing', 'Backspace removed the p before the cursor');
	});

	it('Alt-B and Alt-F move by words of letters and digits, Alt-Backspace kills the word before', async () => {
		const {prompt, until, press} = await shell();
		await press('help agent_ping');
		await press('\u001Bb');
		await press('\u001Bb');
		await press('X');
		await until(() => prompt() === '(virtagent) help Xagent_ping', 'two words back');
		await press('\u001Bf');
		await press('Y');
		await until(() => prompt() === '(virtagent) help XagentY_ping', 'a word forward');
		await press('\u001Bf');
		await press('\u001B\u007F');
		await until(() => prompt() === '(virtagent) help XagentY_', 'Alt-Backspace');
	});

	it('Ctrl-R searches the history; Enter runs the match; Ctrl-G gives the line back', async () => {
		const {paired, prompt, until, press} = await shell(['agent_viewdmesg', 'agent_ping', 'info queues']);
		await press('draft');
		await press('\u0012');
		await press('ag');
		await until(() => prompt() === "(reverse-i-search)'ag': agent_ping", 'the newest match');
		await press('\u0012');
		await until(() => prompt() === "(reverse-i-search)'ag': agent_viewdmesg", 'the next older match');
		await press('\u0007');
		await until(() => prompt() === '(virtagent) draft', 'Ctrl-G: the line as it was');
		await press('\u0015');
		await press('\u0012');
		await press('ping');
		await press('\r');
		await until(() => paired.executed.includes('agent_ping'), 'Enter ran the match');
	});

	it('quit, q and exit are not saved; an unwritable history file is reported, not ignored', async () => {
		const {dir, remove} = tempDir('va-keys-');
		cleanups.push(remove);
		const unwritable = path.join(dir, 'no-such-dir', 'history');
		const {stderr, press, paired, until} = await shell([], unwritable);
		expect(stderr()).toMatch(/^virtagent monitor: cannot write the history file .*no-such-dir\/history: ENOENT.*; this session's commands are not saved\n$/u);
		await press('agent_ping\r');
		await until(() => paired.executed.length === 1, 'agent_ping ran');
	});
});
