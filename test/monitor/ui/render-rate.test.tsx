import {afterEach, describe, expect, it} from 'vitest';
import {mountScreen} from '../../../src/monitor/ui/start.js';
import {waitFor} from '../../helpers/socket-pair.js';
import {pairedSession} from './helpers/paired-session.js';
import type {Session} from '../../../src/monitor/session.js';
import {FakeStdin, FakeStdout} from './helpers/fake-tty.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup();
	}
});

/** Resolves when the session has reported `count` outcomes in all. */
function outcomes(session: Session): (count: number) => Promise<void> {
	let seen = 0;
	const waiting: Array<{count: number; resolve: () => void}> = [];
	session.subscribe(event => {
		if (event.type !== 'outcome') {
			return;
		}

		expect(event.outcome.ok, event.outcome.text).toBe(true);
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
	it('draws at most 30 frames a second through a burst, scrollback included, with a render per frame at most', async () => {
		const paired = await pairedSession();
		cleanups.push(async () => paired.close());
		const {session} = paired;
		let events = 0;
		session.subscribe(() => events++);
		const outcomesSeen = outcomes(session);
		const stdin = new FakeStdin();
		const stdout = new FakeStdout();
		let renders = 0;
		// As startInteractive runs it, on a fake terminal that counts redraws the way bench case 5 does.
		const {instance: app} = mountScreen(session, {
			stdin: stdin as unknown as NodeJS.ReadStream,
			stdout,
			patchConsole: false,
			onRender() {
				renders++;
			},
		});
		cleanups.push(() => {
			app.unmount();
		});
		await waitFor(() => stdout.screen().includes('(virtagent)'), 5000, 'the prompt');

		const pings = Number(process.env.VA_RENDER_BURST ?? 1000);
		const redrawsBefore = stdout.redraws();
		const rendersBefore = renders;
		const eventsBefore = events;
		const start = performance.now();
		// Typed at the prompt five at a time (the client queue holds 5), as an operator pasting would.
		let writes = 0;
		for (let sent = 0; sent < pings; sent += 5) {
			stdin.write('agent_ping\r'.repeat(5));
			writes++;
			await outcomesSeen(sent + 5);
		}

		await waitFor(
			() =>
				stdout
					.screen()
					.split('\n')
					.filter(line => line === 'ok').length === pings,
			5000,
			'every ok in the scrollback',
		);
		const seconds = (performance.now() - start) / 1000;
		const redraws = stdout.redraws() - redrawsBefore;
		const rendered = renders - rendersBefore;
		const eventCount = events - eventsBefore;
		console.log(
			`render rate: ${pings} pings typed in ${writes} chunks, ${eventCount} events in ${seconds.toFixed(2)} s → ${redraws} redraws (${(redraws / seconds).toFixed(1)}/s), ${rendered} renders`,
		);

		// Scrollback and live region share one frame clock: 30 redraws a second (the first frame
		// of the burst, its lines and its live region, is drawn at once).
		expect(redraws).toBeLessThanOrEqual(Math.ceil(seconds * 30) + 2);
		expect(rendered).toBeLessThanOrEqual(redraws + 1);
		expect(eventCount).toBeGreaterThan(rendered * 10);
		// Each line once, in order: the echoes and their results.
		const scrollback = stdout.screen().split('\n');
		expect(scrollback.filter(line => line === '(virtagent) agent_ping')).toHaveLength(pings);
		expect(scrollback.indexOf('ok')).toBeGreaterThan(scrollback.indexOf('(virtagent) agent_ping'));
		// A thousand commands through a real engine: minutes on two cores shared by a busy machine.
	}, 180_000);
});
