import {defineCommand, text} from '../src/monitor/command.js';
import {CommandLineError} from '../src/monitor/parse-args.js';

/** `cancel JOBID`: give up on a queued or in-flight client job (its late answer is dropped). JSON: `{job}`. */
const cancel = defineCommand({
	name: 'cancel',
	args: [text('jobid')],
	help: 'give up on a queued or waiting client job (the number in the queue panel or info queues); it fails with ECANCELED',
	async run(context, [jobId]) {
		const id = /^(\d{1,9})$/u.exec(jobId)?.[1];
		if (id === undefined) {
			throw new CommandLineError(`cancel: invalid job id '${jobId}' (a number, as in info queues)`);
		}

		if (!context.cancel(Number(id))) {
			throw new CommandLineError(`cancel: no queued or waiting client job #${id}`);
		}

		return {value: {job: Number(id)}, text: `cancelled client job #${id} (it fails with ECANCELED)`};
	},
});

export default cancel;
