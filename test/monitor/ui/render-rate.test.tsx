import {render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {App} from '../../../src/monitor/ui/app.js';
import {waitFor} from '../../helpers/socket-pair.js';
import {agentSession, type AgentSession} from './helpers/agent-session.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

/** Resolves when the session has reported `count` outcomes in all. */
function outcomes(session: AgentSession): (count: number) => Promise<void> {
	let seen = 0;
	const waiting: Array<{count: number; resolve: () => void}> = [];
	session.subscribe(event => {
		if (event.type !== 'outcome') {
			return;
		}

		expect(event.outcome.ok).toBe(true);
		seen++;
		for (const waiter of waiting.filter(w => w.count <= seen)) {
			waiting.splice(waiting.indexOf(waiter), 1);
			waiter.resolve();
		}
	});
	return async count =>
		seen >= count
			? undefined
			: new Promise<void>(resolve => {
					waiting.push({count, resolve});
				});
}

describe('render rate', () => {
	it('coalesces a burst of events into at most ~30 frames a second', async () => {
		const session = await agentSession();
		cleanups.push(async () => session.close());
		let events = 0;
		session.subscribe(() => events++);
		const outcomesSeen = outcomes(session);
		// ink-testing-library renders in debug mode: every React commit is one frame written.
		const app = render(<App session={session} history={[]} />);
		cleanups.push(() => {
			app.unmount();
		});
		await waitFor(() => app.lastFrame()?.includes('(virtagent)') === true, 5000, 'the prompt');

		const pings = Number(process.env.VA_RENDER_BURST ?? 300);
		const framesBefore = app.frames.length;
		const eventsBefore = events;
		const start = performance.now();
		// Typed at the prompt five at a time (the client queue holds 5), as an operator pasting would.
		let writes = 0;
		for (let sent = 0; sent < pings; sent += 5) {
			app.stdin.write('agent_ping\r'.repeat(5));
			writes++;
			// eslint-disable-next-line no-await-in-loop
			await outcomesSeen(sent + 5);
		}

		const seconds = (performance.now() - start) / 1000;
		// Static's own follow-up commit writes the same frame again: count the frames that changed.
		const written = app.frames.slice(framesBefore - 1);
		const frames = written.filter((frame, index) => index > 0 && frame !== written[index - 1]).length;
		const eventCount = events - eventsBefore;
		console.log(`render rate: ${pings} pings typed in ${writes} chunks, ${eventCount} events in ${seconds.toFixed(2)} s → ${frames} frames (${(frames / seconds).toFixed(1)} frames/s)`);

		// Each chunk typed draws the prompt at once (typing must not lag); everything the events
		// and outcomes change shares one frame timer: 30 frames/s, 4/s more from the job-age
		// clock, and a little slack at the edges.
		expect(frames - writes).toBeLessThanOrEqual(Math.ceil(seconds * 34) + 4);
		expect(eventCount).toBeGreaterThan(frames * 10);
		await waitFor(() => (app.lastFrame() ?? '').split('\n').filter(line => line === 'ok').length === pings, 5000, 'every ok in the scrollback');
	});
});
