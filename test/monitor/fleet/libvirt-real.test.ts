/**
 * Against a REAL libvirtd, when one is there: VA_LIBVIRT_URI=qemu:///system (with running
 * domains whose qemu-ga answers) runs the monitor's --libvirt over it. Off by default: npm test
 * cannot start libvirtd and boot domains on every machine (libvirt.test.ts covers the same code
 * with a stand-in virsh in front of real qemu-ga processes).
 */
import {execFileSync} from 'node:child_process';
import {beforeAll, describe, expect, it} from 'vitest';
import {ensureBuilt, runCli} from '../helpers/cli.js';

const uri = process.env['VA_LIBVIRT_URI'];

describe.runIf(uri !== undefined)('--libvirt against a real libvirtd', () => {
	beforeAll(() => {
		ensureBuilt();
	}, 60_000);

	it('every running domain answers agent_ping through virsh qemu-agent-command, as qemu-ga', async () => {
		const domains = execFileSync('virsh', ['-c', uri!, 'list', '--name'], {encoding: 'utf8'})
			.split('\n')
			.map(line => line.trim())
			.filter(Boolean)
			.sort();
		expect(domains.length).toBeGreaterThan(0);
		const run = await runCli(['monitor', '--libvirt', uri!, '--json', '-c', '@all agent_ping; guests'], '', 60_000);
		const lines = run.stdout
			.trim()
			.split('\n')
			.map(line => JSON.parse(line) as {guest?: string; return?: {guests?: Array<{name: string; protocol: string; state: string}>}});
		expect(
			lines
				.filter(line => line.guest !== undefined && line.return !== undefined)
				.map(line => line.guest)
				.sort(),
		).toEqual(domains);
		const table = lines.at(-1)!.return!.guests!;
		expect(table.map(row => `${row.name} ${row.protocol} ${row.state}`).sort()).toEqual(domains.map(name => `${name} qga ready`));
		expect(run.code).toBe(0);
	}, 90_000);
});
