/**
 * Listeners that want only some event types (the guest daemon wants channel and log events
 * unless verbose): they get only those, and with no listener for state or job events, none is
 * built (EventBus.listening, which the state machines ask before building one).
 */
import {afterEach, describe, expect, it} from 'vitest';
import {Agent} from '../../src/engine/agent.js';
import {EventBus} from '../../src/engine/bus.js';
import type {EngineEvent} from '../../src/engine/events.js';
import {MethodRegistry} from '../../src/engine/registry.js';
import {socketChannel} from '../../src/transport/socket-channel.js';
import {socketPair, waitFor} from '../helpers/socket-pair.js';
import {runCleanups} from './helpers.js';

afterEach(runCleanups);

describe('event types per listener', () => {
	it('listening counts only listeners that want state or job events', () => {
		const bus = new EventBus('t');
		const seen: string[] = [];
		const stopQuiet = bus.subscribe(event => seen.push(`quiet ${event.type}`), ['channel', 'log']);
		expect(bus.listening).toBe(false);
		const stopAll = bus.subscribe(event => seen.push(`all ${event.type}`));
		expect(bus.listening).toBe(true);
		bus.state('server', 'IDLE', 'SEND', undefined);
		bus.log('info', 'hello');
		expect(seen).toEqual(['all state', 'quiet log', 'all log']);
		stopAll();
		stopAll(); // twice: counted once
		expect(bus.listening).toBe(false);
		const stopJobs = bus.subscribe(() => undefined, ['job']);
		expect(bus.listening).toBe(true);
		stopJobs();
		stopQuiet();
		expect(bus.listening).toBe(false);
	});

	it('over a real socket: a channel/log listener sees the channel come up and nothing per call; a job listener only jobs', async () => {
		const pair = await socketPair();
		const registry = new MethodRegistry().register('va.ping', 'ping', () => 'dummy');
		const guest = new Agent({name: 'guest', registry});
		const host = new Agent({name: 'host', registry: new MethodRegistry()});
		const quiet: EngineEvent[] = [];
		const jobsOnly: EngineEvent[] = [];
		guest.subscribe(event => quiet.push(event), ['channel', 'log']);
		host.subscribe(event => jobsOnly.push(event), ['job']);
		try {
			guest.attach(socketChannel(pair.b, 'guest-end'));
			host.attach(socketChannel(pair.a, 'host-end'));
			await waitFor(() => quiet.some(event => event.type === 'channel'), 5000, 'channel up');
			for (let i = 0; i < 3; i++) {
				expect(await host.call('va.ping', [])).toBe('dummy');
			}

			expect(quiet.map(event => event.type)).toEqual(['channel']);
			expect(jobsOnly.length).toBeGreaterThanOrEqual(3);
			expect(new Set(jobsOnly.map(event => event.type))).toEqual(new Set(['job']));
		} finally {
			host.close();
			guest.close();
			pair.close();
		}
	});
});

describe('one clock read per engine step', () => {
	const nextMillisecond = () => {
		const start = Date.now();
		while (Date.now() === start) {
			// Busy: the test needs the clock to move between two events.
		}
	};

	it('events of one step (nested steps too) share the time the step first read; outside a step each reads the clock', () => {
		const bus = new EventBus('t');
		const times: number[] = [];
		bus.subscribe(event => times.push(event.at));
		const job = {id: 1, method: 'va.ping', tag: 't1'};
		bus.beginStep();
		bus.state('client', 'IDLE', 'SEND', job);
		nextMillisecond();
		bus.beginStep(); // A listener calling into the agent mid-step.
		bus.job('client', job, 'queued', 'sending', 1, 8);
		bus.endStep();
		nextMillisecond();
		bus.job('client', job, 'sending', 'waiting', 1, 8);
		bus.endStep();
		nextMillisecond();
		bus.state('client', 'SEND', 'WAIT', job);
		nextMillisecond();
		bus.state('client', 'WAIT', 'IDLE', job);
		expect(times[1]).toBe(times[0]);
		expect(times[2]).toBe(times[0]);
		expect(times[3]).toBeGreaterThan(times[2]!);
		expect(times[4]).toBeGreaterThan(times[3]!);
	});
});
