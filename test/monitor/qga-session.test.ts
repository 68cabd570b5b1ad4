/**
 * The monitor's session on qemu-ga (docs/PROTOCOL.md §9): `--protocol qga` and `auto` against
 * the REAL qemu-ga (with the block list of docs/QGA.md), every agent_* command and its errors.
 */
import {randomBytes, createHash} from 'node:crypto';
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {allCommands} from '../../commands/index.js';
import {openSession, type Session} from '../../src/monitor/session.js';
import type {ProtocolChoice} from '../../src/monitor/qga/protocol-switch.js';
import {startRealQemuGa, type RealQemuGa} from '../helpers/real-qemu-ga.js';
import {tempDir} from '../helpers/socket-pair.js';

const temp = tempDir('va-qga-session-');
let real: RealQemuGa;

beforeAll(async () => {
	real = await startRealQemuGa(temp.dir);
});

afterAll(async () => {
	await real?.stop();
	temp.remove();
});

async function session(socketPath: string, protocol: ProtocolChoice): Promise<Session> {
	return openSession({
		commands: allCommands,
		target: {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}},
		timeoutMs: 3000,
		waitForGuest: true,
		protocol,
	});
}

describe('the monitor on the real qemu-ga', () => {
	for (const protocol of ['qga', 'auto'] as const) {
		it(`--protocol ${protocol}: ping, capabilities, viewfile, viewdmesg refused, getfile`, async () => {
			const monitor = await session(real.path, protocol);
			try {
				const ping = await monitor.execute('agent_ping');
				expect(ping).toMatchObject({ok: true, text: 'ok'});
				expect(monitor.status.protocol).toBe('qga');
				const caps = await monitor.execute('agent_capabilities');
				expect(caps.ok).toBe(true);
				expect(caps.text).toContain(`qemu-ga ${real.version}: the following commands are enabled:`);
				expect(caps.text).toContain('guest-exec');
				const file = path.join(temp.dir, `small-${protocol}.txt`);
				writeFileSync(file, 'hello qga\n');
				const view = await monitor.execute(`agent_viewfile ${file}`);
				expect(view).toMatchObject({ok: true, text: 'hello qga\n'});
				const dmesg = await monitor.execute('agent_viewdmesg');
				expect(dmesg).toMatchObject({ok: false});
				expect(dmesg.text).toContain('agent_viewdmesg needs guest-exec, which is disabled in this qemu-ga');
				const big = randomBytes(5 * 1024 * 1024 + 3);
				const source = path.join(temp.dir, `big-${protocol}.bin`);
				writeFileSync(source, big);
				const target = path.join(temp.dir, `copy-${protocol}.bin`);
				const copy = await monitor.execute(`agent_getfile ${source} ${target}`);
				expect(copy.ok, copy.text).toBe(true);
				expect(readFileSync(target).equals(big)).toBe(true);
				expect(copy.ok && (copy.value as {sha256: string}).sha256).toBe(createHash('sha256').update(big).digest('hex'));
			} finally {
				await monitor.close();
			}
		}, 30_000);
	}
});
