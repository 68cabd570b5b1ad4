import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';

// The files an operator installs in a guest (docs/guest.md "Installing"), checked with the
// tools a guest runs them with: systemd's own verifier and `systemctl enable`, and a YAML parser
// for cloud-init's copy. CI installs systemd and python3-yaml (.ci/run).
const repo = path.resolve(import.meta.dirname, '../..');
const unitPath = path.join(repo, 'contrib/virtagent-guest.service');
const cloudInitPath = path.join(repo, 'contrib/cloud-init.yaml');
const portDevice = String.raw`dev-virtio\x2dports-org.qemu.virtagent.device`;

const scratch: string[] = [];
afterEach(() => {
	for (const dir of scratch.splice(0)) {
		fs.rmSync(dir, {recursive: true, force: true});
	}
});

function tempDir(): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'va-install-'));
	scratch.push(dir);
	return dir;
}

/** A unit's directives, comments and blank lines left out: what systemd reads. */
function directives(text: string): string[] {
	return text
		.split('\n')
		.map(line => line.trim())
		.filter(line => line !== '' && !line.startsWith('#'));
}

/** cloud-init.yaml parsed by PyYAML, as cloud-init itself parses it. */
function cloudInit(): {write_files: Array<{path: string; permissions: string; content: string}>; runcmd: unknown[]} {
	const json = execFileSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', cloudInitPath], {
		encoding: 'utf8',
	});
	return JSON.parse(json) as ReturnType<typeof cloudInit>;
}

describe('the systemd unit', () => {
	it('passes systemd-analyze verify (only its executable path pointed at a file that exists here)', () => {
		const dir = tempDir();
		const unit = fs.readFileSync(unitPath, 'utf8').replace('ExecStart=/usr/local/bin/virtagent-guest', `ExecStart=${process.execPath}`);
		expect(unit).toContain(`ExecStart=${process.execPath} --channel virtio-serial`);
		fs.writeFileSync(path.join(dir, 'virtagent-guest.service'), unit);
		const result = spawnSync('systemd-analyze', ['verify', path.join(dir, 'virtagent-guest.service')], {encoding: 'utf8'});
		expect(result.error).toBeUndefined();
		expect(`${result.stdout}${result.stderr}`).toBe('');
		expect(result.status).toBe(0);
	});

	it('the verifier used above does refuse a broken unit', () => {
		const dir = tempDir();
		fs.writeFileSync(path.join(dir, 'broken.service'), fs.readFileSync(unitPath, 'utf8').replace(/^ExecStart=.*$/m, 'ExecStart=not-an-absolute-path'));
		const result = spawnSync('systemd-analyze', ['verify', path.join(dir, 'broken.service')], {encoding: 'utf8'});
		expect(result.status).not.toBe(0);
	});

	it('`systemctl enable` starts it at boot and whenever udev sees its port appear (hot-plug), like qemu-ga', () => {
		const root = tempDir();
		const units = path.join(root, 'etc/systemd/system');
		fs.mkdirSync(units, {recursive: true});
		fs.copyFileSync(unitPath, path.join(units, 'virtagent-guest.service'));
		execFileSync('systemctl', [`--root=${root}`, 'enable', 'virtagent-guest.service'], {stdio: 'pipe'});
		for (const wants of ['multi-user.target.wants', `${portDevice}.wants`]) {
			expect(fs.readlinkSync(path.join(units, wants, 'virtagent-guest.service')), wants).toBe('/etc/systemd/system/virtagent-guest.service');
		}
	});
});

describe('cloud-init', () => {
	it('writes the same unit as contrib/virtagent-guest.service, directive for directive', () => {
		const config = cloudInit();
		const unit = config.write_files.find(file => file.path === '/etc/systemd/system/virtagent-guest.service');
		expect(unit?.permissions).toBe('0644');
		expect(directives(unit!.content)).toEqual(directives(fs.readFileSync(unitPath, 'utf8')));
	});

	it('checks the executable before installing it, then enables the unit', () => {
		const commands = cloudInit().runcmd.map(command => (Array.isArray(command) ? command.join(' ') : String(command)));
		const fetch = commands.find(command => command.includes('curl'));
		expect(fetch).toMatch(/sha256sum -c - && chmod 755 \S+\.part && mv \S+\.part \/usr\/local\/bin\/virtagent-guest'?$/);
		expect(commands.at(-1)).toBe('systemctl enable --now virtagent-guest.service');
	});
});
