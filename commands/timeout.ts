import {defineCommand, restOfLine, text} from '../src/monitor/command.js';
import {CommandLineError} from '../src/monitor/parse-args.js';

/** `timeout SECONDS COMMAND…`: one command with its own deadline (like timeout(1)). */
const timeout = defineCommand({
	name: 'timeout',
	args: [text('seconds'), restOfLine('command', {label: 'command [args]', completes: 'command line'})],
	help: 'run one command with its own deadline instead of --timeout, e.g. timeout 30 agent_viewfile /var/log/big.log',
	async run(context, [seconds, line]) {
		const value = Number(seconds);
		if (!/^\d+(\.\d+)?$/u.test(seconds) || value <= 0 || value > 3600) {
			throw new CommandLineError(`timeout: invalid number of seconds '${seconds}' (more than 0, at most 3600)`);
		}

		return context.runWithTimeout(line, Math.round(value * 1000));
	},
});

export default timeout;
