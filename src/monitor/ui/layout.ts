/**
 * How the live region fits the window: which parts it shows and how many rows each takes.
 * Pure, so that every size can be tested without a terminal. Every part is one or more single
 * lines that are cut, never wrapped, at the window's width; their heights add up to at most the
 * window's height minus one row (`frameBudget`). When the window is short the parts shrink in
 * this order: the transition log (down to none), the keys hint, the panels' `last:` lines,
 * their borders, their job rows (summarised), the status line's second line; then one status
 * line stands for the panels, and on the smallest window only the prompt is left.
 */
import {frameBudget} from './live-terminal.js';

/** One side's numbers that decide its height. */
export type SideSize = {
	readonly jobs: number;
	readonly hasLast: boolean;
};

export type LayoutInput = {
	readonly columns: number;
	readonly rows: number;
	/** Width of the status line written on one line. */
	readonly statusWidth: number;
	/** Width of the widest panel header (single-spaced), to decide side by side or stacked. */
	readonly headerWidth: number;
	readonly client: SideSize;
	readonly server: SideSize;
	/** Transition log entries available (the log shows `(none yet)` when there are none). */
	readonly logEntries: number;
	/** A one-shot hint line under the prompt (completion candidates, the Ctrl-C hint). */
	readonly hint: boolean;
	/** A notice line above the prompt while it applies (the backlog of typed commands). */
	readonly notice?: boolean;
};

export type ScreenPlan = {
	/** Status line rows (0 when the summary line stands for it and the panels). */
	readonly statusLines: 0 | 1 | 2;
	/** One line: connection and both engine states, instead of the status line and the panels. */
	readonly summary: boolean;
	readonly panels: 'side' | 'stacked' | 'none';
	readonly boxed: boolean;
	/** Padding inside a box, left and right. */
	readonly padding: 0 | 1;
	/** Job rows per panel; more jobs than that are summarised on one line. */
	readonly jobRows: number;
	readonly showLast: boolean;
	/** Transition log entries; 0 hides the log with its title. */
	readonly logLines: number;
	readonly keysHint: boolean;
	readonly hint: boolean;
	readonly notice: boolean;
	/** Rows of the whole live region, the prompt included. */
	readonly height: number;
};

type Parts = Omit<ScreenPlan, 'height'>;

/** Job rows shown before summarising, however tall the window. */
export const maxJobRows = 8;
/** Width a job row needs: id, a short method, status, age. */
export const jobRowWidth = 34;

/** The box's inner width for a panel `width` wide. */
export function innerWidth(width: number, padding: number): number {
	return width - 2 - 2 * padding;
}

/** Rows of the job list: a row per job up to `jobRows`, a summary line for the rest. */
export function jobLines(jobs: number, jobRows: number, boxed: boolean): number {
	if (jobs === 0) {
		return boxed ? 1 : 0;
	}

	return jobs <= jobRows ? jobs : jobRows + 1;
}

function panelHeight(side: SideSize, parts: Parts): number {
	return (parts.boxed ? 2 : 0) + 1 + jobLines(side.jobs, parts.jobRows, parts.boxed) + (parts.showLast && side.hasLast ? 1 : 0);
}

function heightOf(input: LayoutInput, parts: Parts): number {
	const client = panelHeight(input.client, parts);
	const server = panelHeight(input.server, parts);
	const panels = parts.panels === 'none' ? 0 : parts.panels === 'side' ? Math.max(client, server) : client + server;
	const log = parts.logLines > 0 ? 1 + Math.max(1, Math.min(parts.logLines, input.logEntries)) : 0;
	return parts.statusLines + (parts.summary ? 1 : 0) + panels + log + (parts.keysHint ? 1 : 0) + (parts.hint ? 1 : 0) + (parts.notice ? 1 : 0) + 1;
}

/** Side by side when both panels' headers and a job row fit in half the width. */
function arrangement(input: LayoutInput): {panels: 'side' | 'stacked'; padding: 0 | 1} {
	const half = Math.floor(input.columns / 2);
	const needed = Math.max(input.headerWidth, jobRowWidth);
	if (innerWidth(half, 1) >= needed) {
		return {panels: 'side', padding: 1};
	}

	if (innerWidth(half, 0) >= needed) {
		return {panels: 'side', padding: 0};
	}

	return {panels: 'stacked', padding: innerWidth(input.columns, 1) >= needed ? 1 : 0};
}

export function planScreen(input: LayoutInput): ScreenPlan {
	const budget = frameBudget(input.rows);
	// The log fills what is left, but leaves a quarter of the window to the commands' output.
	const soft = budget - Math.floor(input.rows / 4);
	const preferredLog = Math.max(8, Math.floor(input.rows / 3));
	const full: Parts = {
		statusLines: input.statusWidth <= input.columns ? 1 : 2,
		summary: false,
		...arrangement(input),
		boxed: true,
		jobRows: maxJobRows,
		showLast: true,
		logLines: 0,
		keysHint: true,
		hint: input.hint,
		notice: input.notice ?? false,
	};
	const candidates: Parts[] = [];
	const base = heightOf(input, full);
	const logLines = Math.min(preferredLog, Math.max(soft - base - 1, Math.min(2, budget - base - 1)));
	if (logLines >= 1) {
		candidates.push({...full, logLines});
	}

	// Then the other parts go, one by one.
	const noKeys: Parts = {...full, keysHint: false};
	const noLast: Parts = {...noKeys, showLast: false};
	const bare: Parts = {...noLast, boxed: false, padding: 0};
	candidates.push(full, noKeys, noLast, bare, {...bare, jobRows: 2}, {...bare, jobRows: 1}, {...bare, jobRows: 0});
	const summary: Parts = {...bare, jobRows: 0, statusLines: 0, summary: true, panels: 'none'};
	candidates.push({...bare, jobRows: 0, statusLines: 1}, summary, {...summary, hint: false}, {...summary, hint: false, notice: false});
	for (const candidate of candidates) {
		const height = heightOf(input, candidate);
		if (height <= budget) {
			return {...candidate, height};
		}
	}

	// The smallest window: the prompt alone.
	return {...summary, summary: false, hint: false, notice: false, height: 1};
}
