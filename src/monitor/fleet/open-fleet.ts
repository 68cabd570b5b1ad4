/**
 * The fleet the CLI runs: each `--connect` guest opened as its own Session, every `--discover`
 * directory scanned (and then watched), and the FleetSession over them.
 */
import type {Command} from '../command.js';
import type {ProtocolChoice} from '../qga/protocol-switch.js';
import {DiscoveryWatcher} from './discover.js';
import {Fleet, type GuestOpener} from './fleet.js';
import {FleetSession} from './fleet-session.js';
import {LibvirtWatcher} from './libvirt.js';
import {guestOpener} from './open-guest.js';
import type {FleetOptions} from './options.js';

export type OpenFleetOptions = {
	readonly fleet: FleetOptions;
	readonly commands: readonly Command[];
	readonly fleetCommands: readonly Command[];
	readonly timeoutMs: number;
	/** Scripted mode: each guest is waited for before its first line (`--wait`, the command timeout). */
	readonly scripted: {readonly waitMs: number} | undefined;
	readonly wireTap: boolean;
	/** `--protocol`: for the guests that do not say (`protocol=`; discovery knows it from the channel's name). */
	readonly protocol: ProtocolChoice;
	/** `--stall-timeout`, for every guest. */
	readonly stallTimeoutMs?: number;
	/** Where a fleet warning goes (a duplicate name, a guest that could not be opened). */
	readonly warn: (message: string) => void;
	/** Another way to open a guest (tests, libvirt); default: a Session on its socket. */
	readonly open?: GuestOpener;
};

/** Every guest opened (or said why not), discovery started; the caller closes the session. */
export async function openFleet(options: OpenFleetOptions): Promise<FleetSession> {
	const open: GuestOpener =
		options.open ??
		guestOpener({
			commands: options.commands,
			timeoutMs: options.timeoutMs,
			waitForGuest: options.scripted !== undefined,
			wireTap: options.wireTap,
			protocol: options.protocol,
			...(options.stallTimeoutMs === undefined ? {} : {stallTimeoutMs: options.stallTimeoutMs}),
		});
	const fleet = new Fleet(open);
	fleet.subscribe(event => {
		if (event.type === 'warning') {
			options.warn(event.message);
		}
	});
	const session = new FleetSession(fleet, {
		commands: options.commands,
		fleetCommands: options.fleetCommands,
		...(options.fleet.guest === undefined ? {} : {target: options.fleet.guest}),
		...(options.scripted === undefined ? {streamParts: true} : {guestWait: {waitMs: options.scripted.waitMs, timeoutMs: options.timeoutMs}}),
	});
	for (const spec of options.fleet.guests) {
		await fleet.add(spec);
	}

	for (const directory of options.fleet.discover) {
		const watcher = new DiscoveryWatcher(fleet, directory, options.warn);
		session.own(() => {
			watcher.close();
		});
		await watcher.start();
	}

	if (options.fleet.libvirt !== undefined) {
		const watcher = new LibvirtWatcher(fleet, options.fleet.libvirt, options.warn);
		session.own(() => {
			watcher.close();
		});
		await watcher.start();
	}

	return session;
}
