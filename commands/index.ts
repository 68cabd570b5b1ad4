import type {Command} from '../src/monitor/command.js';
import agentCapabilities from './agent-capabilities.js';
import agentGetfile from './agent-getfile.js';
import agentPing from './agent-ping.js';
import agentShutdown from './agent-shutdown.js';
import agentViewdmesg from './agent-viewdmesg.js';
import agentViewfile from './agent-viewfile.js';
import cancel from './cancel.js';
import guests from './guests.js';
import help from './help.js';
import info from './info.js';
import qga from './qga.js';
import quit from './quit.js';
import timeout from './timeout.js';
import use from './use.js';

/** Every monitor command, in the order `help` lists them. */
export const allCommands: readonly Command[] = [
	agentViewfile,
	agentGetfile,
	agentViewdmesg,
	agentShutdown,
	agentPing,
	agentCapabilities,
	qga,
	help,
	info,
	cancel,
	timeout,
	quit,
];

/** The fleet's own commands, added when the monitor holds several guests (src/monitor/fleet/). */
export const fleetCommands: readonly Command[] = [guests, use];
