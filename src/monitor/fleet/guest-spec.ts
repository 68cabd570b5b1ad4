/**
 * One guest of the fleet as the operator names it, in QEMU's option style:
 * `[NAME=]ENDPOINT[,protocol=virtagent|qga|auto]`, ENDPOINT a UNIX socket path, `unix:PATH` or
 * `tcp:HOST:PORT`. As in QEMU, `,,` is a comma inside a value (a path with a comma in it).
 */
import path from 'node:path';
import {parseTcpAddress} from '../../transport/endpoint.js';
import type {SessionTarget} from '../connection.js';
import {escapeLine} from '../escape.js';

import {isProtocolChoice, type ProtocolChoice} from '../qga/protocol-switch.js';

/** A domain reached through libvirt (`--libvirt [URI]`): requests go through virsh. */
export type LibvirtTarget = {readonly mode: 'libvirt'; readonly uri: string; readonly domain: string};

export type GuestSpec = {
	/** The name the operator gave (`web1=…`); otherwise one is derived (guestNameFor). */
	readonly name: string | undefined;
	readonly target: SessionTarget | LibvirtTarget;
	/** `protocol=`; absent: the monitor's `--protocol` (auto unless told). */
	readonly protocol?: ProtocolChoice;
};

/** A `--connect` value that cannot be used; the message is the whole line shown. */
export class GuestSpecError extends Error {
	override readonly name = 'GuestSpecError';
}

/** The file names QEMU and libvirt give agent channels: their directory names the guest instead. */
export const wellKnownChannels: ReadonlySet<string> = new Set(['org.qemu.guest_agent.0', 'org.qemu.virtagent']);

/** A name the operator may give: what `@NAME` can address (no spaces, no `=`, `,` or `@`). */
const givenName = /^[\w.:-]{1,64}$/u;
/** Names are shown on one line of a table: longer ones are cut. */
export const nameMax = 64;

/** Split at single commas; `,,` stays as one comma. */
function splitOptions(text: string): string[] {
	const parts: string[] = [''];
	for (let index = 0; index < text.length; index++) {
		if (text[index] === ',' && text[index + 1] === ',') {
			parts[parts.length - 1] += ',';
			index++;
		} else if (text[index] === ',') {
			parts.push('');
		} else {
			parts[parts.length - 1] += text[index];
		}
	}

	return parts;
}

function parseEndpoint(text: string): SessionTarget {
	if (text.startsWith('tcp:')) {
		try {
			return {mode: 'connect', endpoint: parseTcpAddress(text.slice(4))};
		} catch (error) {
			throw new GuestSpecError((error as Error).message);
		}
	}

	const socketPath = text.startsWith('unix:') ? text.slice(5) : text;
	if (socketPath === '') {
		throw new GuestSpecError('a socket path is missing');
	}

	return {mode: 'connect', endpoint: {kind: 'unix', path: socketPath}};
}

/** `web1=/run/web1.sock,protocol=qga`, `unix:/x.sock`, `tcp:10.0.0.5:4444`. */
export function parseGuestSpec(text: string): GuestSpec {
	const [first = '', ...options] = splitOptions(text);
	const equals = first.indexOf('=');
	// `NAME=` only when what precedes `=` is a name: `/tmp/a=b.sock` is a path.
	const named = equals > 0 && givenName.test(first.slice(0, equals));
	const name = named ? first.slice(0, equals) : undefined;
	const target = parseEndpoint(named ? first.slice(equals + 1) : first);
	let protocol: ProtocolChoice | undefined;
	for (const option of options) {
		const [key, value] = option.split('=', 2) as [string, string | undefined];
		if (key !== 'protocol') {
			throw new GuestSpecError(`unknown option '${escapeLine(key)}' in '${escapeLine(text)}' (only protocol=)`);
		}

		if (!isProtocolChoice(value ?? '')) {
			throw new GuestSpecError(`invalid protocol '${escapeLine(value ?? '')}' (virtagent, qga or auto)`);
		}

		protocol = value as ProtocolChoice;
	}

	return protocol === undefined ? {name, target} : {name, target, protocol};
}

/**
 * A name that is safe on a terminal line and addressable as `@NAME`: escaped, blanks as `_`,
 * at most `nameMax` characters. Directory names come from whoever created the VM.
 */
export function safeName(raw: string): string {
	const name = escapeLine(raw).replace(/[\s@]/gu, '_');
	return name === '' ? '_' : name.slice(0, nameMax);
}

/**
 * libvirt's channel directories are `domain-ID-NAME` (`domain-3-web1`): the domain's name
 * without the id, which changes at each start.
 */
export function domainName(directory: string): string {
	return /^domain-\d+-(.+)$/u.exec(directory)?.[1] ?? directory;
}

/** The derived name: the directory of a well-known channel file, else the file's own name. */
export function guestNameFor(target: SessionTarget | LibvirtTarget): string {
	if (target.mode === 'libvirt') {
		return safeName(target.domain);
	}

	const {endpoint} = target;
	if (endpoint.kind === 'tcp') {
		return safeName(`${endpoint.host}:${endpoint.port}`);
	}

	const file = path.basename(endpoint.path);
	const directory = path.basename(path.dirname(path.resolve(endpoint.path)));
	return safeName(wellKnownChannels.has(file) && directory !== '' && directory !== '/' ? domainName(directory) : file);
}

/**
 * Hands out unique names: a name already taken gets `-2`, `-3`… and the caller is told why.
 * A released name can be given again (a VM that stops and starts keeps its name).
 */
export class GuestNames {
	readonly #taken = new Set<string>();

	/** The name to use for `wanted`, and a warning when it had to change. */
	claim(wanted: string): {readonly name: string; readonly warning?: string} {
		if (!this.#taken.has(wanted)) {
			this.#taken.add(wanted);
			return {name: wanted};
		}

		let suffix = 2;
		while (this.#taken.has(`${wanted}-${suffix}`)) {
			suffix++;
		}

		const name = `${wanted}-${suffix}`;
		this.#taken.add(name);
		return {name, warning: `two guests are named ${wanted}: the second is ${name}`};
	}

	release(name: string): void {
		this.#taken.delete(name);
	}
}
