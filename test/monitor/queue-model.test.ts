import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {Agent} from '../../src/engine/agent.js';
import type {EngineEvent, JobEvent, StateEvent} from '../../src/engine/events.js';
import {MethodRegistry} from '../../src/engine/registry.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import {initialQueueModel, isFailure, latestTransitions, type JobRow, type QueueModel} from '../../src/monitor/queue-model.js';
import {foldEvent, foldEvents, QueueTracker} from '../../src/monitor/queue-tracker.js';
import {liveLog} from '../../src/monitor/ui/screen-model.js';
import {gate} from '../helpers/gate.js';
import {socketPair, waitFor} from '../helpers/socket-pair.js';

function state(side: 'client' | 'server', from: string, to: string, jobId: number, at = 1000): StateEvent {
	return {type: 'state', side, from: from as never, to: to as never, jobId, method: 'va.ping', tag: `t${jobId}`, at};
}

function job(side: 'client' | 'server', jobId: number, from: JobEvent['from'], to: JobEvent['to'], queued: number, at = 1000, method = 'va.ping'): JobEvent {
	return {type: 'job', side, from, to, jobId, method, tag: `t${jobId}`, at, queued, limit: side === 'client' ? 5 : 1};
}

describe('queue model', () => {
	it('folds one client job through its life', () => {
		const events: EngineEvent[] = [
			job('client', 1, null, 'queued', 1, 1000),
			state('client', 'IDLE', 'SEND', 1, 1001),
			job('client', 1, 'queued', 'sending', 1, 1001),
			state('client', 'SEND', 'WAIT', 1, 1002),
			job('client', 1, 'sending', 'waiting', 1, 1002),
		];
		const mid = foldEvents(initialQueueModel(), events);
		expect(mid.clientState).toBe('WAIT');
		expect(mid.client.jobs).toEqual([{id: 1, side: 'client', method: 'va.ping', tag: 't1', status: 'waiting', createdAt: 1000, updatedAt: 1002}]);
		expect(mid.client.queued).toBe(1);

		const end = foldEvents(mid, [state('client', 'WAIT', 'IDLE', 1, 1003), job('client', 1, 'waiting', 'done', 0, 1003)]);
		expect(end.clientState).toBe('IDLE');
		expect(end.client.jobs).toEqual([]);
		expect(end.client.done).toBe(1);
		expect(end.client.recent.map(row => [row.id, row.status])).toEqual([[1, 'done']]);
		expect(latestTransitions(end).map(entry => entry.text)).toEqual([
			'client #1 va.ping new→queued',
			'client IDLE→SEND #1 va.ping',
			'client #1 va.ping queued→sending',
			'client SEND→WAIT #1 va.ping',
			'client #1 va.ping sending→waiting',
			'client WAIT→IDLE #1 va.ping',
			'client #1 va.ping waiting→done',
		]);
	});

	it('never mutates the model it is given', () => {
		const before = initialQueueModel();
		const snapshot = JSON.stringify(before);
		const after = foldEvent(before, job('client', 1, null, 'queued', 1));
		expect(JSON.stringify(before)).toBe(snapshot);
		expect(after).not.toBe(before);
		expect(after.client.jobs).toHaveLength(1);
	});

	it('records failures with their error and counts them', () => {
		const failed = {...job('client', 3, 'waiting', 'failed', 0, 2000), error: {code: 'ETIMEDOUT', message: 'va.ping timed out after 5s'}};
		const model = foldEvents(initialQueueModel(), [job('client', 3, null, 'queued', 1, 1000), failed]);
		expect(model.client.failed).toBe(1);
		expect(model.client.recent[0]).toMatchObject({id: 3, status: 'failed', createdAt: 1000, error: {code: 'ETIMEDOUT'}});
		expect(latestTransitions(model, 1)[0]!.text).toBe('client #3 va.ping waiting→failed: ETIMEDOUT va.ping timed out after 5s');
	});

	it('keeps each transition as the event itself: a failure is known from its status, not from its text', () => {
		const failed = {...job('client', 3, 'waiting', 'failed', 0, 2000), error: {code: 'ETIMEDOUT', message: 'timed out'}};
		// A guest's method name that reads like a failure is still a running job.
		const sly = job('server', 4, null, 'running', 1, 2001, 'x waiting→failed');
		const model = foldEvents(initialQueueModel(), [job('client', 3, null, 'queued', 1, 1000), failed, sly]);
		const [, failure, running] = latestTransitions(model);
		expect(failure).toMatchObject({seq: 2, at: 2000, kind: 'job', event: {side: 'client', jobId: 3, to: 'failed', error: {code: 'ETIMEDOUT'}}});
		expect(running!.event).toMatchObject({side: 'server', to: 'running', method: 'x waiting→failed'});
		expect([isFailure(failure!), isFailure(running!)]).toEqual([true, false]);
		expect(liveLog(model).map(entry => entry.seq)).toEqual([2]);
	});

	it('escapes method names that come from the guest', () => {
		const model = foldEvent(initialQueueModel(), job('server', 1, null, 'running', 1, 1000, 'evil\u001B]0;pwned\u0007'));
		expect(latestTransitions(model)[0]!.text).toBe('server #1 evil\\x1b]0;pwned\\x07 new→running');
		// The row keeps the raw name (a renderer escapes it), the log line is already safe.
		expect(model.server.jobs[0]!.method).toBe('evil\u001B]0;pwned\u0007');
	});

	it('tracks the channel', () => {
		const model = foldEvents(initialQueueModel(), [
			{type: 'channel', status: 'up', label: 'unix:/x', at: 5},
			{type: 'channel', status: 'down', label: 'unix:/x', reason: 'stream closed', at: 9},
		]);
		expect(model.channel).toEqual({status: 'down', label: 'unix:/x', at: 9, reason: 'stream closed'});
		expect(latestTransitions(model).map(entry => entry.text)).toEqual(['channel up unix:/x', 'channel down unix:/x (stream closed)']);
	});

	it('keeps memory bounded and the latest transitions in order, whatever the event stream', () => {
		fc.assert(
			fc.property(
				fc.array(
					fc.tuple(fc.constantFrom('client', 'server'), fc.integer({min: 1, max: 20}), fc.constantFrom('queued', 'sending', 'waiting', 'done', 'failed')),
					{maxLength: 400, size: 'max'},
				),
				steps => {
					let model: QueueModel = initialQueueModel({transitionsMax: 10, recentMax: 3, jobsMax: 6});
					for (const [side, id, to] of steps) {
						model = foldEvent(model, job(side as 'client', id, null, to as 'queued', 0));
						expect(model.transitions.length).toBeLessThanOrEqual(10);
						expect(model.client.jobs.length).toBeLessThanOrEqual(6);
						expect(model.server.recent.length).toBeLessThanOrEqual(3);
					}

					const latest = latestTransitions(model);
					expect(latest.length).toBe(Math.min(10, steps.length));
					expect(latest.map(entry => entry.seq)).toEqual(Array.from({length: latest.length}, (_, index) => steps.length - latest.length + index + 1));
				},
			),
			{numRuns: 60},
		);
	});

	it('folds a batch exactly as one event at a time, and never changes a model it was given', () => {
		// A fold resumes from the model it is given: resuming at any cut must agree with one fold.
		const step = fc.oneof(
			fc.tuple(
				fc.constant('job'),
				fc.constantFrom('client', 'server'),
				fc.integer({min: 1, max: 12}),
				fc.constantFrom('queued', 'sending', 'waiting', 'done', 'failed', 'expired'),
			),
			fc.tuple(fc.constant('state'), fc.constantFrom('client', 'server'), fc.integer({min: 1, max: 12}), fc.constantFrom('IDLE', 'SEND', 'WAIT')),
			fc.tuple(fc.constant('channel'), fc.constant('client'), fc.integer({min: 1, max: 2}), fc.constantFrom('up', 'down')),
			fc.tuple(fc.constant('log'), fc.constant('client'), fc.integer({min: 1, max: 2}), fc.constant('x')),
		);
		const toEvent = ([kind, side, id, to]: [string, string, number, string], at: number): EngineEvent => {
			switch (kind) {
				case 'job': {
					return {...job(side as 'client', id, null, to as 'queued', id % 4, at), ...(to === 'failed' ? {error: {code: -1, message: `no ${id}`}} : {})};
				}

				case 'state': {
					return state(side as 'client', 'IDLE', to, id, at);
				}

				case 'channel': {
					return {type: 'channel', status: to as 'up', label: `unix:/x${id}`, at};
				}

				default: {
					return {type: 'log', level: 'info', message: `line ${id}`, at};
				}
			}
		};

		const view = (model: QueueModel) => ({
			...model,
			transitions: latestTransitions(model).map(entry => [entry.seq, entry.at, entry.kind, entry.text]),
		});
		fc.assert(
			fc.property(fc.array(step, {maxLength: 120, size: 'max'}), fc.integer({min: 0, max: 120}), (steps, cut) => {
				const events = steps.map((one, index) => toEvent(one as [string, string, number, string], 1000 + index));
				const options = {transitionsMax: 7, recentMax: 3, jobsMax: 4};
				let one = initialQueueModel(options);
				for (const event of events) {
					one = foldEvent(one, event);
				}

				const first = foldEvents(initialQueueModel(options), events.slice(0, cut));
				const before = JSON.stringify(view(first));
				const batched = foldEvents(first, events.slice(cut));
				expect(view(batched)).toEqual(view(one));
				expect(JSON.stringify(view(first))).toBe(before);
			}),
			{numRuns: 300},
		);
	});

	it('a tracker read at any point agrees with a plain replay of every event so far, and a model once read never changes', () => {
		const transitionsMax = 6;
		const recentMax = 3;
		const jobsMax = 4;
		/** The model's rules, replayed from the whole history each time: slow and plain, as an oracle. */
		const replay = (events: readonly EngineEvent[]) => {
			const states = {client: 'IDLE', server: 'IDLE'};
			const sides = {
				client: {active: [] as Array<{id: number; createdAt: number; event: JobEvent}>, recent: [] as JobRow[], done: 0, failed: 0},
				server: {active: [] as Array<{id: number; createdAt: number; event: JobEvent}>, recent: [] as JobRow[], done: 0, failed: 0},
			};
			const row = (event: JobEvent, createdAt: number): JobRow => ({
				id: event.jobId,
				side: event.side,
				method: event.method,
				tag: event.tag,
				status: event.to,
				createdAt,
				updatedAt: event.at,
				...(event.error ? {error: event.error} : {}),
			});
			const logged: EngineEvent[] = [];
			for (const event of events) {
				if (event.type === 'state') {
					states[event.side] = event.to;
				} else if (event.type === 'job') {
					const side = sides[event.side];
					const found = side.active.find(job => job.id === event.jobId);
					if (['done', 'failed', 'cancelled', 'expired'].includes(event.to)) {
						side.active = side.active.filter(job => job !== found);
						side.recent = [row(event, found?.createdAt ?? event.at), ...side.recent].slice(0, recentMax);
						side[event.to === 'done' ? 'done' : 'failed']++;
					} else if (found) {
						found.event = event;
					} else {
						side.active = [...side.active, {id: event.jobId, createdAt: event.at, event}].slice(-jobsMax);
					}
				} else if (event.type !== 'channel') {
					continue;
				}

				logged.push(event);
			}

			const view = (side: (typeof sides)['client']) => ({
				jobs: side.active.map(job => row(job.event, job.createdAt)),
				recent: side.recent,
				done: side.done,
				failed: side.failed,
			});
			return {
				states,
				client: view(sides.client),
				server: view(sides.server),
				count: logged.length,
				log: logged.map((event, index) => ({seq: index + 1, event})).slice(-transitionsMax),
			};
		};

		const modelView = (model: QueueModel) => ({
			states: {client: model.clientState, server: model.serverState},
			client: {jobs: model.client.jobs, recent: model.client.recent, done: model.client.done, failed: model.client.failed},
			server: {jobs: model.server.jobs, recent: model.server.recent, done: model.server.done, failed: model.server.failed},
			count: model.transitionCount,
			log: latestTransitions(model).map(entry => ({seq: entry.seq, event: entry.event})),
		});
		const step = fc.tuple(
			fc.constantFrom('job', 'job', 'state', 'channel', 'log'),
			fc.constantFrom('client' as const, 'server' as const),
			fc.integer({min: 1, max: 8}),
			fc.constantFrom('queued', 'sending', 'waiting', 'done', 'failed', 'cancelled'),
			fc.boolean(),
			fc.boolean(),
		);
		fc.assert(
			fc.property(fc.array(step, {maxLength: 150, size: 'max'}), steps => {
				const tracker = new QueueTracker(initialQueueModel({transitionsMax, recentMax, jobsMax}));
				const history: EngineEvent[] = [];
				const read: Array<{model: QueueModel; frozen: string}> = [];
				for (const [[kind, side, id, to, look, why], index] of steps.map((one, at) => [one, at] as const)) {
					const at = 1000 + index;
					const event: EngineEvent =
						kind === 'job'
							? {...job(side, id, null, to as 'queued', id % 3, at), ...(to === 'failed' ? {error: {code: 'EIO', message: `no ${id}`}} : {})}
							: kind === 'state'
								? {...state(side, 'IDLE', ['IDLE', 'SEND', 'WAIT'][id % 3]!, id, at), ...(why ? {reason: 'timeout'} : {})}
								: kind === 'channel'
									? {type: 'channel', status: id % 2 ? 'up' : 'down', label: `unix:/x${id}`, at, ...(why ? {reason: 'EOF'} : {})}
									: {type: 'log', level: 'info', message: `line ${id}`, at};
					expect(tracker.apply(event)).toBe(kind !== 'log');
					history.push(event);
					if (look) {
						const {model} = tracker;
						expect(modelView(model)).toEqual(replay(history));
						expect(tracker.latest(2).map(entry => entry.seq)).toEqual(latestTransitions(model, 2).map(entry => entry.seq));
						expect([tracker.client.active, tracker.client.limit]).toEqual([model.client.jobs.length, model.client.limit]);
						read.push({model, frozen: JSON.stringify(modelView(model))});
					}
				}

				for (const {model, frozen} of read) {
					expect(JSON.stringify(modelView(model))).toBe(frozen);
				}
			}),
			{numRuns: 300},
		);
	});

	it('folds a real engine: the model agrees with the agent at every event', async () => {
		const pair = await socketPair();
		const release = gate();
		const guestRegistry = new MethodRegistry();
		guestRegistry.register('va.slow', 'waits', async () => {
			await release.promise;
			return 'dummy';
		});
		const host = new Agent({name: 'host', registry: new MethodRegistry()});
		const guest = new Agent({name: 'guest', registry: guestRegistry});
		let model = initialQueueModel();
		const mismatches: string[] = [];
		host.subscribe(event => {
			model = foldEvent(model, event);
			if (model.clientState !== host.clientState || model.serverState !== host.serverState) {
				mismatches.push(`${event.type}: model ${model.clientState}/${model.serverState}, agent ${host.clientState}/${host.serverState}`);
			}
		});
		try {
			host.attach(socketChannel(pair.a, 'host-end'));
			guest.attach(socketChannel(pair.b, 'guest-end'));
			const calls = [1, 2, 3].map(async () => host.call('va.slow'));
			await waitFor(() => model.client.jobs.length === 3 && model.clientState === 'WAIT');
			expect(model.client.jobs.map(row => row.status)).toEqual(['waiting', 'queued', 'queued']);
			expect(model.client.queued).toBe(3);
			release.open();
			await Promise.all(calls);
			expect(model.client.jobs).toEqual([]);
			expect(model.client.done).toBe(3);
			expect(mismatches).toEqual([]);
		} finally {
			host.close();
			guest.close();
			pair.close();
		}
	});
});
