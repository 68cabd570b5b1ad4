import type {Command} from './monitor/command.js';
import {packageVersion} from './version.js';

const usage = `usage: virtagent <command> [options]

commands:
  demo      start a guest daemon on a temporary socket and the monitor connected to it
  monitor   the host monitor shell (interactive, or scripted with -c / piped stdin)
  guest     the guest daemon (runs inside the VM, on the virtio-serial port)

Run 'virtagent <command> --help' for a command's options.`;

/** What the entry point is given: src/ does not reach into commands/, bin/virtagent.js hands it in. */
export type Wiring = {
	/** The monitor's commands (commands/index.ts), loaded only when a monitor runs. */
	readonly monitorCommands?: () => Promise<readonly Command[]>;
	/** The commands of a monitor that holds several guests (`guests`, `use`). */
	readonly fleetCommands?: () => Promise<readonly Command[]>;
};

/** Entry point: returns the process exit code. */
export async function main(argv: readonly string[], wiring: Wiring = {}): Promise<number> {
	exitQuietlyOnClosedPipe();
	const [command, ...rest] = argv;
	switch (command) {
		case 'guest': {
			const {guestMain} = await import('./guest/cli.js');
			return guestMain(rest);
		}

		case 'monitor': {
			const {monitorMain} = await import('./monitor/cli.js');
			return monitorMain(rest, await monitorCommands(wiring), (await wiring.fleetCommands?.()) ?? []);
		}

		case 'demo': {
			const {demoMain} = await import('./monitor/demo.js');
			return demoMain(rest, await monitorCommands(wiring), (await wiring.fleetCommands?.()) ?? []);
		}

		case '--version':
		case '-V': {
			console.log(`virtagent ${packageVersion}`);
			return 0;
		}

		case undefined:
		case '--help':
		case '-h':
		case 'help': {
			console.log(usage);
			return command === undefined ? 2 : 0;
		}

		default: {
			console.error(`virtagent: unknown command '${command}'\n${usage}`);
			return 2;
		}
	}
}

async function monitorCommands(wiring: Wiring): Promise<readonly Command[]> {
	if (!wiring.monitorCommands) {
		throw new Error('this build has no monitor commands (a guest-only entry point)');
	}

	return wiring.monitorCommands();
}

/** `virtagent monitor -c … | head`: a reader that goes away ends us quietly, like cat. */
function exitQuietlyOnClosedPipe(): void {
	for (const stream of [process.stdout, process.stderr]) {
		stream.on('error', (error: NodeJS.ErrnoException) => {
			if (error.code === 'EPIPE') {
				process.exit(0);
			}

			throw error;
		});
	}
}
