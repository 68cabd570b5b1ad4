import {defineCommand, optionalOneOf, optionalText, type CommandContext, type CommandResult} from '../src/monitor/command.js';
import {escapeLine} from '../src/monitor/escape.js';
import {CommandLineError} from '../src/monitor/parse-args.js';
import {latestTransitions, type JobRow, type SideQueue} from '../src/monitor/queue-model.js';
import {age, clock, describeConnection} from '../src/monitor/format.js';

const topics = ['agent', 'queues', 'transitions'] as const;
const defaultTransitions = 20;

/** `info agent|queues|transitions [N]`: the connection, the job queues, the transition log. */
const info = defineCommand({
	name: 'info',
	args: [optionalOneOf('topic', topics), optionalText('count', {label: 'N'})],
	help: `the guest agent (connection, hello, version, methods), the job queues, or the latest transitions (default ${defaultTransitions})`,
	async run(context, [topic, count]) {
		if (count !== undefined && topic !== 'transitions') {
			throw new CommandLineError('info: extraneous characters at the end of line');
		}

		switch (topic) {
			case 'agent': {
				return infoAgent(context);
			}

			case 'queues': {
				return infoQueues(context);
			}

			case 'transitions': {
				return infoTransitions(context, count);
			}

			default: {
				const lines = topics.map(name => `info ${name}`);
				return {value: [...topics], text: lines.join('\n')};
			}
		}
	},
});

function infoAgent(context: CommandContext): CommandResult {
	const {channel, connection, guest} = context.status;
	const methods = guest.methods?.map(name => escapeLine(name));
	const lines = [
		`channel: ${channel}`,
		`connection: ${describeConnection(connection, context.now)}`,
		`hello: ${guest.helloAt === undefined ? 'not yet' : `${clock(guest.helloAt)} (${age(context.now - guest.helloAt)} ago)`}`,
		`version: ${guest.version === undefined ? 'unknown' : escapeLine(guest.version)}`,
		`methods: ${methods === undefined ? 'not negotiated' : `${methods.length}: ${methods.join(' ')}`}`,
	];
	const value = {
		channel,
		connection,
		hello: guest.helloAt === undefined ? null : new Date(guest.helloAt).toISOString(),
		version: guest.version ?? null,
		methods: guest.methods ?? null,
	};
	return {value, text: lines.join('\n')};
}

function infoQueues(context: CommandContext): CommandResult {
	const {model, now} = context;
	const side = (name: 'client' | 'server', state: string, queue: SideQueue) => [
		`${name}: ${state}, ${queue.jobs.length}/${queue.limit} jobs, ${queue.done} done, ${queue.failed} failed`,
		...queue.jobs.map(job => `  #${job.id} ${escapeLine(job.method)} ${job.status} ${age(now - job.createdAt)}`),
	];
	const lines = [...side('client', model.clientState, model.client), ...side('server', model.serverState, model.server)];
	const jobs = (queue: SideQueue) => queue.jobs.map((job: JobRow) => ({id: job.id, method: job.method, status: job.status, ageMs: now - job.createdAt}));
	const value = {
		client: {state: model.clientState, jobs: jobs(model.client), count: model.client.jobs.length, limit: model.client.limit, done: model.client.done, failed: model.client.failed},
		server: {state: model.serverState, jobs: jobs(model.server), count: model.server.jobs.length, limit: model.server.limit, done: model.server.done, failed: model.server.failed},
	};
	return {value, text: lines.join('\n')};
}

function infoTransitions(context: CommandContext, count: string | undefined): CommandResult {
	const wanted = count === undefined ? defaultTransitions : Number(count);
	if (!Number.isInteger(wanted) || wanted < 1) {
		throw new CommandLineError(`info: invalid count '${count}' (expected a positive integer)`);
	}

	const entries = latestTransitions(context.model, wanted);
	const value = entries.map(entry => ({seq: entry.seq, at: new Date(entry.at).toISOString(), text: entry.text}));
	const text = entries.length === 0 ? '(no transitions yet)' : entries.map(entry => `${clock(entry.at)} ${entry.text}`).join('\n');
	return {value, text};
}

export default info;
