/**
 * The monitor's guest options: one guest as today (`--connect PATH`, `--tcp`, `--listen`…), or a
 * fleet: `--connect [NAME=]ENDPOINT[,protocol=…]` several times, `--discover DIR`, `--libvirt
 * [URI]`, `--guest NAME`. A fleet is only made when one of its features is asked for: with one
 * plain guest everything stays exactly as it was.
 */
import {escapeLine} from '../escape.js';
import {parseGuestSpec, GuestSpecError, type GuestSpec} from './guest-spec.js';

export type FleetOptions = {
	readonly guests: readonly GuestSpec[];
	/** `--discover DIR`: directories watched for agent sockets in libvirt's layout. */
	readonly discover: readonly string[];
	/** `--libvirt [URI]`: '' for virsh's default connection. */
	readonly libvirt: string | undefined;
	/** `--guest NAME`: the target from the start. */
	readonly guest: string | undefined;
};

export type FleetValues = {
	readonly connect?: readonly string[];
	readonly discover?: readonly string[];
	readonly libvirt?: string;
	readonly guest?: string;
};

/**
 * `--libvirt` takes an optional URI: given alone (last, or before another option) it gets ''.
 * node:util's parseArgs has no optional values, so the gap is filled before it parses.
 */
export function fillOptionalLibvirt(args: readonly string[]): string[] {
	const filled: string[] = [];
	for (const [index, arg] of args.entries()) {
		filled.push(arg);
		const next = args[index + 1];
		if (arg === '--libvirt' && (next === undefined || next.startsWith('-'))) {
			filled.push('');
		}
	}

	return filled;
}

/** The fleet these options ask for, or undefined for the one-guest monitor. Throws on a bad `--connect`. */
export function fleetOptions(values: FleetValues, toUsageError: (message: string) => Error): FleetOptions | undefined {
	const connect = values.connect ?? [];
	let guests: GuestSpec[];
	try {
		guests = connect.map(text => parseGuestSpec(text));
	} catch (error) {
		if (error instanceof GuestSpecError) {
			throw toUsageError(`--connect: ${error.message}`);
		}

		throw error;
	}

	const discover = values.discover ?? [];
	const wantsFleet =
		guests.length > 1 ||
		guests.some(guest => guest.name !== undefined || guest.protocol !== undefined) ||
		discover.length > 0 ||
		values.libvirt !== undefined ||
		values.guest !== undefined;
	if (!wantsFleet) {
		return undefined;
	}

	if (discover.includes('')) {
		throw toUsageError('--discover: a directory is missing');
	}

	if (values.guest !== undefined && values.guest === '') {
		throw toUsageError(`--guest: a name is missing`);
	}

	return {guests, discover, libvirt: values.libvirt, guest: values.guest === undefined ? undefined : escapeLine(values.guest)};
}
