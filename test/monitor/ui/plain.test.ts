/**
 * The plain line mode and the colour choice, in a real terminal (tmux): the bytes the monitor
 * writes are read raw (tmux pipe-pane, or the file its stdout is piped to).
 */
import {readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {colorLevel} from '../../../src/monitor/ui/color.js';
import {tempDir, waitFor} from '../../helpers/socket-pair.js';
import {binPath, repoRoot, startCli} from '../helpers/cli.js';
import {keepCapture, startPane, terminalSuite} from './helpers/tmux.js';

const cleanups = terminalSuite();

const esc = '\u001B';
/** Every escape sequence in `bytes`. */
const sequences = (bytes: string) => bytes.match(/\u001B\[[\d;?]*[A-Za-z]|\u001B[^[]/gu) ?? [];
const isSgr = (sequence: string) => /^\u001B\[[\d;]*m$/u.test(sequence);
/** Colour and weight: every SGR but the inverse video of the screen's cursor cell. */
const colours = (bytes: string) => sequences(bytes).filter(sequence => isSgr(sequence) && !['\u001B[7m', '\u001B[27m'].includes(sequence));

type Run = {
	/** What the program wrote: to the pane (pipe-pane), or to the file its stdout went to. */
	output(): string;
	screen(): string;
};

/**
 * The monitor in a tmux pane against a demo guest, typing `agent_ping` then `quit`. With
 * `pipe`, its stdout goes through a pipe into a file (stdin stays the terminal).
 */
async function run(options: {args?: string; env?: Record<string, string>; pipe?: boolean}): Promise<Run> {
	const {dir, remove} = tempDir('va-plain-');
	cleanups.push(remove);
	const socket = path.join(dir, 'guest.sock');
	const guest = startCli(['guest', '--channel', 'unix-listen', '--path', socket]);
	cleanups.push(async () => guest.stop());
	await waitFor(() => statSync(socket, {throwIfNoEntry: false})?.isSocket() === true, 10_000, 'the guest listening');
	const file = path.join(dir, 'output.bin');
	const monitor = `node ${binPath} monitor --connect ${socket} ${options.args ?? ''}${options.pipe ? ` | cat > ${file}` : ''}`;
	// `read` holds the monitor back until everything it writes is being recorded.
	const pane = startPane(
		`read _; env -u NO_COLOR -u FORCE_COLOR ${Object.entries(options.env ?? {})
			.map(([key, value]) => `${key}=${value}`)
			.join(' ')} ${monitor}; echo "monitor exited: $?"; sleep 30`,
		{HOME: dir},
		repoRoot,
		{columns: 100, rows: 30},
	);
	cleanups.push(() => {
		pane.kill();
	});
	if (!options.pipe) {
		pane.pipeTo(file);
	}

	pane.key('Enter');
	const output = () => {
		try {
			return readFileSync(file, 'utf8');
		} catch {
			return '';
		}
	};

	await waitFor(() => /said hello at .*, \d+ methods/u.test(output()), 10_000, `the negotiated guest; the pane shows:\n${pane.screen()}`);
	pane.type('agent_ping', true);
	await waitFor(() => /(?:\n|\u001B\[G)ok\r?\n/u.test(output()), 10_000, `ok; the pane shows:\n${pane.screen()}`);
	pane.type('quit', true);
	await pane.until(text => text.includes('monitor exited: 0'), 'quit ends it with 0');
	return {output, screen: () => pane.screen()};
}

describe('the plain line mode', () => {
	it('with TERM=dumb: lines only, not one escape sequence, the prompt and the state changes as lines', async () => {
		const {output, screen} = await run({env: {TERM: 'dumb'}});
		const bytes = output();
		keepCapture('plain-term-dumb', bytes);
		expect(bytes).not.toContain(esc);
		// The first line names the endpoint; under --protocol auto it may say "detecting" first.
		expect(bytes).toMatch(/\d\d:\d\d:\d\d\.\d{3} unix:\S+ (?:○ detecting…[^\n]*\n[^\n]*)?● connected/u);
		expect(bytes).toMatch(/guest said hello at \d\d:\d\d:\d\d, version 1\.0, \d+ methods/u);
		expect(bytes).toContain('(virtagent) ');
		expect(bytes).not.toMatch(/[╭╮╰╯│]/u);
		expect(screen()).toContain('ok');
	});

	it('with stdout piped: the commands echoed, their results, no escape sequence', async () => {
		const {output} = await run({pipe: true});
		const bytes = output();
		keepCapture('plain-stdout-piped', bytes);
		expect(bytes).not.toContain(esc);
		expect(bytes).toMatch(/\(virtagent\) agent_ping\nok\n/u);
		expect(bytes).toContain('● connected');
	});

	it('colours only when asked for: FORCE_COLOR, or --color=always even with NO_COLOR; --color=never wins over FORCE_COLOR', async () => {
		const forced = (await run({pipe: true, env: {FORCE_COLOR: '1'}})).output();
		expect(colours(forced).length).toBeGreaterThan(0);
		// Still no cursor movement or erasing: colour codes only.
		expect(sequences(forced).every(sequence => isSgr(sequence))).toBe(true);

		const always = (await run({pipe: true, args: '--color=always', env: {NO_COLOR: '1'}})).output();
		expect(colours(always).length).toBeGreaterThan(0);
		expect(sequences(always).every(sequence => isSgr(sequence))).toBe(true);

		const never = (await run({pipe: true, args: '--color=never', env: {FORCE_COLOR: '1'}})).output();
		expect(never).not.toContain(esc);
	});
});

describe('colours on the screen', () => {
	it('NO_COLOR: the screen draws without one colour; by default on a terminal it has them', async () => {
		const plain = (await run({env: {NO_COLOR: '1'}})).output();
		expect(plain).toContain('╭');
		expect(colours(plain)).toEqual([]);

		const coloured = (await run({})).output();
		expect(coloured).toContain('\u001B[32m● connected');
	});
});

describe('colorLevel', () => {
	it('--color first, then FORCE_COLOR (as Node reads it), then NO_COLOR, then the terminal', () => {
		expect(colorLevel('never', {FORCE_COLOR: '3'}, true)).toBe(0);
		expect(colorLevel('always', {NO_COLOR: '1'}, false)).toBe(1);
		expect(colorLevel('always', {FORCE_COLOR: '3'}, false)).toBe(3);
		expect(colorLevel('auto', {FORCE_COLOR: '0'}, true)).toBe(0);
		expect(colorLevel('auto', {FORCE_COLOR: '2', NO_COLOR: '1'}, false)).toBe(2);
		expect(colorLevel('auto', {FORCE_COLOR: ''}, false)).toBe(1);
		expect(colorLevel('auto', {NO_COLOR: '1'}, true)).toBe(0);
		// An empty NO_COLOR is not set (no-color.org).
		expect(colorLevel('auto', {NO_COLOR: ''}, true)).toBe(1);
		expect(colorLevel('auto', {TERM: 'dumb'}, true)).toBe(0);
		expect(colorLevel('auto', {}, false)).toBe(0);
		// CI does not matter (chalk turns colours off whenever it is set).
		expect(colorLevel('auto', {CI: 'false'}, true)).toBe(1);
	});
});
