import type {ProtocolChoice} from '../qga/protocol-switch.js';
import {openSession, type SessionOptions} from '../open-session.js';
import type {GuestOpener} from './fleet.js';
import {openLibvirtSession} from './libvirt.js';
import type {VirshOptions} from './virsh-channel.js';

export type GuestSessionOptions = Omit<SessionOptions, 'target' | 'protocol'> & {
	/** For the guests whose spec does not say (`--protocol`; default auto). */
	readonly protocol?: ProtocolChoice;
	readonly virsh?: VirshOptions;
};

/** Each guest's own Session: on its socket (with its protocol), or through virsh for a libvirt domain. */
export function guestOpener(options: GuestSessionOptions): GuestOpener {
	const {protocol = 'auto', virsh, ...parts} = options;
	return async spec =>
		spec.target.mode === 'libvirt'
			? openLibvirtSession(spec.target, parts, virsh)
			: openSession({...parts, target: spec.target, protocol: spec.protocol ?? protocol});
}
