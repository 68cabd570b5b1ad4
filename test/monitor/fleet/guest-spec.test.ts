import {describe, expect, it} from 'vitest';
import {GuestNames, guestNameFor, parseGuestSpec, safeName} from '../../../src/monitor/fleet/guest-spec.js';
import {fillOptionalLibvirt} from '../../../src/monitor/fleet/options.js';
import {parseOptions} from '../../../src/monitor/cli.js';
import type {SessionTarget} from '../../../src/monitor/connection.js';

const unix = (socketPath: string): SessionTarget => ({mode: 'connect', endpoint: {kind: 'unix', path: socketPath}});

describe('--connect [NAME=]ENDPOINT[,protocol=…]', () => {
	it('reads paths, unix: and tcp: endpoints, names and the protocol', () => {
		expect(parseGuestSpec('/run/a.sock')).toEqual({name: undefined, target: unix('/run/a.sock')});
		expect(parseGuestSpec('unix:/run/a.sock')).toEqual({name: undefined, target: unix('/run/a.sock')});
		expect(parseGuestSpec('db1=tcp:10.0.0.5:4444,protocol=qga')).toEqual({
			name: 'db1',
			target: {mode: 'connect', endpoint: {kind: 'tcp', host: '10.0.0.5', port: 4444}},
			protocol: 'qga',
		});
		expect(parseGuestSpec('web1=/x.sock,protocol=virtagent').name).toBe('web1');
		// A path with `=` in it is a path; `,,` is a comma, as in QEMU.
		expect(parseGuestSpec('/tmp/a=b.sock').target).toEqual(unix('/tmp/a=b.sock'));
		expect(parseGuestSpec('/tmp/a,,b.sock,protocol=qga')).toEqual({name: undefined, target: unix('/tmp/a,b.sock'), protocol: 'qga'});
	});

	it('refuses unknown options, protocols and empty endpoints with one line', () => {
		expect(() => parseGuestSpec('/x,speed=9')).toThrow(/^unknown option 'speed'/u);
		expect(() => parseGuestSpec('/x,protocol=http')).toThrow("invalid protocol 'http' (virtagent, qga or auto)");
		expect(() => parseGuestSpec('unix:')).toThrow('a socket path is missing');
		expect(() => parseGuestSpec('tcp:nohost')).toThrow();
		expect(() => parseGuestSpec('/x,protocol=\u001B[2J')).toThrow("invalid protocol '\\x1b[2J'");
	});

	it("names a guest after libvirt's domain directory, or after the socket file", () => {
		expect(guestNameFor(unix('/var/lib/libvirt/qemu/channel/target/domain-3-web1/org.qemu.guest_agent.0'))).toBe('web1');
		expect(guestNameFor(unix('/srv/vms/db2/org.qemu.virtagent'))).toBe('db2');
		expect(guestNameFor(unix('/run/vm7.sock'))).toBe('vm7.sock');
		expect(guestNameFor({mode: 'connect', endpoint: {kind: 'tcp', host: 'h', port: 1}})).toBe('h:1');
		// Directory names come from whoever made the VM: one safe line, addressable with @.
		expect(guestNameFor(unix('/t/domain-1-evil\u001B]0;pwned\u0007 x@y/org.qemu.virtagent'))).toBe('evil\\x1b]0;pwned\\x07_x_y');
		expect(safeName('a\nb\u202Ec')).toBe('a\\nb\\u202ec');
		expect(safeName('x'.repeat(500))).toHaveLength(64);
	});

	it('gives a duplicate name a suffix and says so; a released name is given again', () => {
		const names = new GuestNames();
		expect(names.claim('web1')).toEqual({name: 'web1'});
		expect(names.claim('web1')).toEqual({name: 'web1-2', warning: 'two guests are named web1: the second is web1-2'});
		expect(names.claim('web1').name).toBe('web1-3');
		names.release('web1');
		expect(names.claim('web1')).toEqual({name: 'web1'});
	});
});

describe('monitor options: one guest as today, or a fleet', () => {
	it('keeps a single plain --connect as the one-guest monitor', () => {
		const options = parseOptions(['--connect', '/x.sock']);
		expect(options).toMatchObject({target: unix('/x.sock')});
		expect(options).not.toHaveProperty('fleet');
	});

	it('makes a fleet from repeated --connect, a name, a protocol, --discover, --libvirt or --guest', () => {
		const several = parseOptions(['--connect', '/a.sock', '--connect', 'b=/b.sock', '--tcp', 'h:9']);
		expect(several).toMatchObject({fleet: {guests: [{target: unix('/a.sock')}, {name: 'b'}, {target: {endpoint: {kind: 'tcp', port: 9}}}], discover: []}});
		expect(parseOptions(['--discover', '/d', '--guest', 'web1'])).toMatchObject({fleet: {discover: ['/d'], guest: 'web1'}});
		expect(parseOptions(['--connect', '/a.sock,protocol=qga'])).toMatchObject({fleet: {guests: [{protocol: 'qga'}]}});
		expect(parseOptions(['--libvirt'])).toMatchObject({fleet: {libvirt: ''}});
		expect(parseOptions(['--libvirt', 'qemu:///system', '-c', 'guests'])).toMatchObject({fleet: {libvirt: 'qemu:///system'}, commands: 'guests'});
		expect(fillOptionalLibvirt(['--libvirt', '--json'])).toEqual(['--libvirt', '', '--json']);
		expect(() => parseOptions(['--discover', '/d', '--listen', '/l'])).toThrow(/hold one guest/u);
		expect(() => parseOptions(['--connect', '/a,protocol=x', '--connect', '/b'])).toThrow("--connect: invalid protocol 'x' (virtagent, qga or auto)");
	});
});
