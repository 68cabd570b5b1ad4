import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {allCommands} from '../../commands/index.js';
import {defineCommand, oneOf, optionalText} from '../../src/monitor/command.js';
import {openSession} from '../../src/monitor/open-session.js';
import {tempDir} from '../helpers/socket-pair.js';
import {repoRoot} from './helpers/cli.js';
import {startFakeGuest} from './helpers/fake-guest.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

/** A command the monitor does not have: one definition, handed in with the others. */
const paint = defineCommand({
	name: 'paint',
	args: [oneOf('colour', ['red', 'green'] as const), optionalText('note', {label: 'NOTE'})],
	help: 'a command the tests add',
	async run(_context, [colour, note]) {
		// `colour` is typed 'red' | 'green', `note` string | undefined.
		const shade: 'red' | 'green' = colour;
		return {value: {colour: shade, note: note ?? null}, text: `${shade}${note === undefined ? '' : ` (${note})`}`};
	},
});

function sourcesUnder(dir: string): string[] {
	return readdirSync(path.join(repoRoot, dir), {withFileTypes: true, recursive: true})
		.filter(entry => entry.isFile() && /\.tsx?$/u.test(entry.name))
		.map(entry => path.join(entry.parentPath, entry.name));
}

describe('the command interface', () => {
	it('src/ imports nothing from commands/ (the list is handed in by bin/virtagent.js)', () => {
		const offenders = sourcesUnder('src').filter(
			file => /from\s+['"][./]*\/commands\//u.test(readFileSync(file, 'utf8')) || /import\(['"][./]*\/commands\//u.test(readFileSync(file, 'utf8')),
		);
		expect(offenders).toEqual([]);
	});

	it('a new command is one definition: help, completion and argument checks come from its declaration', async () => {
		const {dir, remove} = tempDir('va-command-');
		cleanups.push(remove);
		const socketPath = path.join(dir, 'va.sock');
		const guest = await startFakeGuest({socketPath});
		cleanups.push(async () => guest.close());
		const session = await openSession({
			commands: [...allCommands, paint],
			target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}},
			timeoutMs: 2000,
		});
		cleanups.push(async () => session.close());
		await expect(session.execute('help paint')).resolves.toMatchObject({ok: true, text: 'paint red|green [NOTE] -- a command the tests add'});
		expect(session.complete('pa')).toEqual(['paint']);
		expect(session.complete('paint g')).toEqual(['green']);
		expect(session.complete('help pai')).toEqual(['paint']);
		await expect(session.execute('paint green "fresh coat"')).resolves.toMatchObject({
			ok: true,
			value: {colour: 'green', note: 'fresh coat'},
			text: 'green (fresh coat)',
		});
		await expect(session.execute('paint blue')).resolves.toMatchObject({
			ok: false,
			text: "paint: invalid colour 'blue' (expected red or green)",
			error: {class: 'InvalidParameter'},
		});
		await expect(session.execute('paint')).resolves.toMatchObject({ok: false, text: 'paint: string expected'});
		await expect(session.execute('timeout 1 paint red')).resolves.toMatchObject({ok: true, text: 'red'});
	});
});
