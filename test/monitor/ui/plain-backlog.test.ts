/**
 * The plain line mode feeds the engine through the shell's backlog, as the screen does: a pasted
 * batch longer than the engine's queue runs whole and in typed order, with no ENOBUFS.
 */
import {PassThrough} from 'node:stream';
import {afterEach, describe, expect, it} from 'vitest';
import {latestTransitions} from '../../../src/monitor/queue-model.js';
import {startPlain} from '../../../src/monitor/ui/plain.js';
import {waitFor} from '../../helpers/socket-pair.js';
import {pairedSession} from './helpers/paired-session.js';
import {tick} from './helpers/fake-tty.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

describe('the plain line mode and the backlog', () => {
	it('a pasted batch of eight behind five held jobs waits in the backlog, then runs in typed order', async () => {
		const agent = await pairedSession();
		cleanups.push(async () => agent.close());
		agent.hold();
		const input = new PassThrough();
		let output = '';
		const done = startPlain(agent.session, {
			input,
			output: {
				write(text: string) {
					output += text;
				},
			},
		});
		cleanups.push(async () => {
			input.end();
			await done;
		});

		input.write(`${'test_hold\n'.repeat(5)}agent_ping\nagent_capabilities\nagent_viewdmesg\n`);
		await waitFor(() => agent.host.clientJobCount === 5, 5000, 'five jobs in the engine');
		for (let index = 0; index < 20; index++) {
			await tick();
		}

		// The other three wait in the shell, not in the engine, and nothing was refused.
		expect(agent.host.clientJobCount).toBe(5);
		expect(agent.executed).toEqual([]);
		expect(output).not.toContain('client job queue limit exceeded');

		agent.release();
		await waitFor(() => agent.executed.length === 8, 10_000, `eight outcomes; output:\n${output}`);
		expect(output.split('\n').filter(line => line === 'released')).toHaveLength(5);
		expect(output).toContain('kernel: hello');
		expect(output).not.toContain('error');
		// Started in the order typed: the first transition of each of the three later jobs.
		const started = latestTransitions(agent.session.model)
			.map(entry => /client IDLE→SEND #\d+ ([\w.]+)$/u.exec(entry.text)?.[1])
			.filter(method => method === 'va.ping' || method === 'system.listMethods' || method === 'va.getdmesg');
		expect(started).toEqual(['va.ping', 'system.listMethods', 'va.getdmesg']);
	});
});
