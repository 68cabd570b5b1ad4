/** `agent_getfile` in the monitor, scripted, against a real guest daemon (va.readfile). */
import {createHash, randomBytes} from 'node:crypto';
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {tempDir, waitFor} from '../helpers/socket-pair.js';
import {allCommands} from '../../commands/index.js';
import {runScript} from '../../src/monitor/script.js';
import {openSession} from '../../src/monitor/open-session.js';
import {ensureBuilt, runCli, startCli, type Child} from './helpers/cli.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const temp = tempDir('va-getfile-cli-');
const socketPath = path.join(temp.dir, 'va.sock');
const content = randomBytes(3 * 1024 * 1024 + 5);
let guest: Child;

beforeAll(async () => {
	ensureBuilt();
	writeFileSync(path.join(temp.dir, 'big.bin'), content);
	guest = startCli(['guest', '--channel', 'unix-listen', '--path', socketPath, '--shutdown-command', 'true']);
	await waitFor(() => existsSync(socketPath), 5000, 'the guest socket');
}, 60_000);

afterAll(async () => {
	await guest?.stop();
	temp.remove();
});

describe('agent_getfile GUESTPATH LOCALPATH [-f]', () => {
	it('copies a file larger than va.getfile can send; --json prints {path, bytes, sha256, seconds}', async () => {
		const target = path.join(temp.dir, 'copy.bin');
		const run = await runCli(['monitor', '--connect', socketPath, '--json', '-c', `agent_getfile ${temp.dir}/big.bin ${target}`]);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		const line = JSON.parse(run.stdout) as {return: {path: string; bytes: number; sha256: string; seconds: number}};
		expect(line.return).toEqual({path: target, bytes: content.length, sha256: sha256(content), seconds: expect.any(Number) as number});
		expect(sha256(readFileSync(target))).toBe(sha256(content));
	});

	it('refuses to overwrite without -f (exit 1, file kept), replaces with -f, and says what it did', async () => {
		const target = path.join(temp.dir, 'kept.txt');
		writeFileSync(target, 'mine');
		const refused = await runCli(['monitor', '--connect', socketPath, '-c', `agent_getfile ${temp.dir}/big.bin ${target}`]);
		expect(refused.code).toBe(1);
		expect(refused.stdout + refused.stderr).toContain('exists (use -f to overwrite it)');
		expect(readFileSync(target, 'utf8')).toBe('mine');
		const forced = await runCli(['monitor', '--connect', socketPath, '-c', `agent_getfile ${temp.dir}/big.bin ${target} -f`]);
		expect(forced.code).toBe(0);
		expect(forced.stdout).toMatch(new RegExp(`^copied ${content.length} bytes to .*kept\\.txt in [\\d.]+ s \\(.*\\), sha256 ${sha256(content)}\\n$`));
		expect(readdirSync(temp.dir).filter(name => name.endsWith('.part'))).toEqual([]);
	});

	it('a missing guest file is an RPCFailed error and no local file', async () => {
		const target = path.join(temp.dir, 'none.bin');
		const run = await runCli(['monitor', '--connect', socketPath, '--json', '-c', `agent_getfile ${temp.dir}/missing ${target}`]);
		expect(run.code).toBe(1);
		expect(JSON.parse(run.stdout)).toMatchObject({error: {class: 'RPCFailed', data: {code: -500, message: 'open failed: no such file or directory'}}});
		expect(existsSync(target)).toBe(false);
	});

	it('reports progress (bytes, total, rate, time left) to a progress writer, then clears it; --json gets none', async () => {
		const session = await openSession({
			commands: allCommands,
			target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}},
			timeoutMs: 5000,
			waitForGuest: true,
		});
		const progress: string[] = [];
		const stdout: string[] = [];
		try {
			const code = await runScript(session, [`agent_getfile ${temp.dir}/big.bin ${temp.dir}/progress.bin`], {
				stdout: text => stdout.push(text),
				stderr: () => undefined,
				progress: text => progress.push(text),
			});
			expect(code).toBe(0);
		} finally {
			await session.close();
		}

		expect(progress.at(-1)).toBe('');
		expect(progress.at(-2)).toMatch(/^agent_getfile \[#{20}\] 100% 3\.0 MiB of 3\.0 MiB, [\d.]+ (?:MiB|KiB)\/s, 0 s left$/);
		expect(stdout.join('\n')).toMatch(/^copied 3145733 bytes to /);
	});
});
