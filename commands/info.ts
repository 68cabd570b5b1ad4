import {defineCommand, optionalOneOf, optionalText, type CommandContext, type CommandResult} from '../src/monitor/command.js';
import {protocolLabel} from '../src/monitor/qga/protocol-switch.js';
import {escapeLine} from '../src/monitor/escape.js';
import {CommandLineError} from '../src/monitor/parse-args.js';
import {latestTransitions, type JobRow, type SideQueue, type TransitionEntry} from '../src/monitor/queue-model.js';
import {age, clock, describeConnection} from '../src/monitor/format.js';
import type {ConnectionState} from '../src/monitor/session-api.js';

const defaultTransitions = 20;

/** The topics of `info`, as `info` alone and `help info` list them. */
export const infoTopics = [
	{name: 'agent', params: '', help: 'the connection and the guest agent: its hello, version and methods'},
	{name: 'queues', params: '', help: 'the client and server job queues, with each job and its age'},
	{name: 'transitions', params: '[N]', help: `the latest N state transitions (default ${defaultTransitions})`},
] as const;

/**
 * `info agent|queues|transitions [N]`: the connection, the job queues, the transition log; `info`
 * alone lists the topics. JSON shapes in docs/JSON.md; times are ISO 8601.
 */
const info = defineCommand({
	name: 'info',
	args: [
		optionalOneOf(
			'topic',
			infoTopics.map(topic => topic.name),
		),
		optionalText('count', {label: 'N'}),
	],
	help: 'show the guest agent, the job queues or the latest transitions (info alone lists them)',
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
				const width = Math.max(...infoTopics.map(entry => `info ${entry.name} ${entry.params}`.trimEnd().length));
				const lines = infoTopics.map(entry => `${`info ${entry.name} ${entry.params}`.trimEnd().padEnd(width)} -- ${entry.help}`);
				return {value: {topics: infoTopics.map(entry => ({...entry}))}, text: lines.join('\n')};
			}
		}
	},
});

const iso = (at: number) => new Date(at).toISOString();

/** The connection state with its times in ISO 8601. */
function connectionJson(connection: ConnectionState) {
	switch (connection.state) {
		case 'connected': {
			return {state: connection.state, since: iso(connection.since)};
		}

		case 'retrying': {
			return {state: connection.state, attempt: connection.attempt, retryInMs: connection.inMs, reason: connection.reason};
		}

		case 'disconnected': {
			return {state: connection.state, reason: connection.reason};
		}

		case 'detecting': {
			return {state: connection.state, since: iso(connection.since), probes: connection.probes};
		}

		default: {
			return {state: connection.state};
		}
	}
}

function infoAgent(context: CommandContext): CommandResult {
	const {channel, connection, guest, protocol} = context.status;
	const methods = guest.methods?.map(name => escapeLine(name));
	const lines = [
		`channel: ${channel}`,
		`connection: ${describeConnection(connection, context.now)}`,
		`protocol: ${protocol === undefined ? 'not known yet (--protocol auto probes each new stream)' : protocolLabel(protocol)}`,
		`hello: ${guest.helloAt === undefined ? 'not yet' : `${clock(guest.helloAt)} (${age(context.now - guest.helloAt)} ago)`}`,
		`version: ${guest.version === undefined ? 'unknown' : escapeLine(guest.version)}`,
		`methods: ${methods === undefined ? 'not negotiated' : `${methods.length}: ${methods.join(' ')}`}`,
		...(guest.disabled === undefined ? [] : [`disabled: ${guest.disabled.length}: ${guest.disabled.map(name => escapeLine(name)).join(' ')}`]),
	];
	const value = {
		channel,
		connection: connectionJson(connection),
		protocol: protocol ?? null,
		hello: guest.helloAt === undefined ? null : iso(guest.helloAt),
		version: guest.version ?? null,
		methods: guest.methods ?? null,
		...(guest.disabled === undefined ? {} : {disabled: guest.disabled}),
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
	const queueJson = (state: string, queue: SideQueue) => ({
		state,
		count: queue.jobs.length,
		limit: queue.limit,
		done: queue.done,
		failed: queue.failed,
		jobs: queue.jobs.map((job: JobRow) => ({id: job.id, method: job.method, status: job.status, created: iso(job.createdAt), ageMs: now - job.createdAt})),
	});
	const value = {client: queueJson(model.clientState, model.client), server: queueJson(model.serverState, model.server)};
	return {value, text: lines.join('\n')};
}

/** One transition as data: what changed, on which side, for which job (raw strings: JSON escapes them). */
function transitionJson(entry: TransitionEntry) {
	const {event} = entry;
	const base = {seq: entry.seq, at: iso(entry.at), kind: entry.kind};
	switch (event.type) {
		case 'state': {
			return {
				...base,
				side: event.side,
				from: event.from,
				to: event.to,
				job: event.jobId ?? null,
				method: event.method ?? null,
				...(event.reason ? {reason: event.reason} : {}),
			};
		}

		case 'job': {
			return {
				...base,
				side: event.side,
				from: event.from ?? 'new',
				to: event.to,
				job: event.jobId,
				method: event.method,
				...(event.error ? {error: event.error} : {}),
			};
		}

		case 'channel': {
			return {...base, status: event.status, channel: event.label, ...(event.reason ? {reason: event.reason} : {})};
		}
	}
}

function infoTransitions(context: CommandContext, count: string | undefined): CommandResult {
	const wanted = count === undefined ? defaultTransitions : Number(count);
	if (!Number.isInteger(wanted) || wanted < 1) {
		throw new CommandLineError(`info: invalid count '${count}' (expected a positive integer)`);
	}

	const entries = latestTransitions(context.model, wanted);
	const text = entries.length === 0 ? '(no transitions yet)' : entries.map(entry => `${clock(entry.at)} ${entry.text}`).join('\n');
	return {value: {transitions: entries.map(entry => transitionJson(entry))}, text};
}

export default info;
