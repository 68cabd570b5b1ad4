import type {EngineState, JobStatus, Side} from './states.js';

/**
 * Where a job stands (the tables in states.ts). Client: queued → held → sending → waiting →
 * done|failed|cancelled|expired. Server: running → ready → sending → done|failed.
 */
export type {JobStatus} from './states.js';

/** A state machine moved (PROTOCOL.md §4: `{side, from, to, jobId, method, tag, at}`). */
export type StateEvent = {
	readonly type: 'state';
	readonly side: Side;
	readonly from: EngineState;
	readonly to: EngineState;
	readonly jobId: number | undefined;
	readonly method: string | undefined;
	readonly tag: string | undefined;
	readonly at: number;
	/** Why, when it is not the ordinary flow (timeout, reset, …). */
	readonly reason?: string;
};

/** A job moved. `from` is null when the job is created. */
export type JobEvent = {
	readonly type: 'job';
	readonly side: Side;
	readonly from: JobStatus | null;
	readonly to: JobStatus;
	readonly jobId: number;
	readonly method: string;
	readonly tag: string | undefined;
	readonly at: number;
	/** On `failed`, `cancelled`, `expired`: the error code and message. */
	readonly error?: {readonly code: string | number; readonly message: string};
	/** Queue length on that side after the change, and its limit. */
	readonly queued: number;
	readonly limit: number;
};

export type ChannelEvent = {
	readonly type: 'channel';
	readonly status: 'up' | 'down';
	readonly label: string;
	readonly reason?: string;
	readonly at: number;
};

/** Things worth a line in a log: skipped bytes, late or unknown responses, dropped jobs, bugs. */
export type LogEvent = {
	readonly type: 'log';
	readonly level: 'debug' | 'info' | 'warn' | 'error';
	readonly message: string;
	readonly at: number;
};

/** A frame crossed the wire (for `-v`): emitted only when someone asked for it. */
export type WireEvent = {
	readonly type: 'wire';
	readonly direction: 'in' | 'out';
	readonly kind: 'request' | 'response';
	readonly tag: string | undefined;
	readonly body: Buffer;
	readonly at: number;
};

export type EngineEvent = StateEvent | JobEvent | ChannelEvent | LogEvent | WireEvent;
