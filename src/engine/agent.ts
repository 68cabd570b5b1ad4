import {randomBytes} from 'node:crypto';
import {decodeCall, decodeResponse, encodeCall, encodeFault, encodeResponse} from '../protocol/codec.js';
import type {DecoderEvent, Frame} from '../protocol/frame.js';
import {FrameDecoder} from '../protocol/frame-decoder.js';
import {encodeFrame} from '../protocol/frame-encoder.js';
import {defaultFrameLimits, type FrameLimits} from '../protocol/limits.js';
import {CodecError, FaultCode, type DecodedResponse, type XmlRpcValue} from '../protocol/value.js';
import type {Channel} from '../transport/channel.js';
import {RpcFaultError, VirtagentError, type VirtagentErrorCode} from './errors.js';
import type {EngineEvent, JobStatus} from './events.js';
import type {MethodRegistry} from './registry.js';
import {isAllowed, type ClientState, type EngineState, type ServerState, type Side} from './states.js';

export type AgentOptions = {
	/** `host` or `guest`: names this end in log lines. */
	readonly name: string;
	readonly registry: MethodRegistry;
	/** Client jobs queued or in flight at once (default 5). */
	readonly clientQueueMax?: number;
	/** Server jobs (requests being answered) at once (default 1). */
	readonly serverQueueMax?: number;
	/** Default deadline of a client job, from the moment it is queued (default 5 s). */
	readonly callTimeoutMs?: number;
	/** A response whose send has not finished by then is dropped (default 5 s). */
	readonly serverSendTimeoutMs?: number;
	/** A handler that has not answered by then gets fault -500 (default 5 s). */
	readonly handlerTimeoutMs?: number;
	readonly limits?: Partial<FrameLimits>;
};

export type CallOptions = {
	/** This call's deadline in ms, instead of the agent's default. */
	readonly timeoutMs?: number;
};

type ClientJob = {
	readonly id: number;
	readonly method: string;
	readonly tag: string;
	readonly body: Buffer;
	status: JobStatus;
	expired: boolean;
	timer: NodeJS.Timeout | undefined;
	readonly resolve: (value: XmlRpcValue) => void;
	readonly reject: (error: Error) => void;
};

type ServerJob = {
	readonly id: number;
	method: string;
	readonly tag: string | undefined;
	/** An over-limit request answered with a fault: it does not count against the limit. */
	readonly rejection: boolean;
	status: JobStatus;
	body: Buffer | undefined;
	dropped: boolean;
	timer: NodeJS.Timeout | undefined;
};

type Listener = (event: EngineEvent) => void;

/** Tags of timed-out or reset requests, so that their late responses are recognised. */
const lateTagMemory = 256;
/** Over-limit requests waiting for their fault reply; past this a flood is dropped (logged). */
const rejectionMax = 64;

/**
 * One end of the channel: an RPC client and an RPC server multiplexed over one stream
 * (PROTOCOL.md §4). The two state machines live here; every change is an event.
 */
export class Agent {
	readonly name: string;
	readonly registry: MethodRegistry;
	readonly clientQueueMax: number;
	readonly serverQueueMax: number;
	readonly limits: FrameLimits;
	readonly #callTimeoutMs: number;
	readonly #serverSendTimeoutMs: number;
	readonly #handlerTimeoutMs: number;

	#channel: Channel | undefined;
	#decoder: FrameDecoder;
	#stallTimer: NodeJS.Timeout | undefined;
	#clientState: ClientState = 'IDLE';
	#serverState: ServerState = 'IDLE';
	/** Client jobs not yet sent, oldest first. */
	readonly #clientQueue: ClientJob[] = [];
	/** The client job whose request is being sent or awaits its response. */
	#inFlight: ClientJob | undefined;
	readonly #serverJobs: ServerJob[] = [];
	readonly #lateTags = new Set<string>();
	readonly #listeners = new Set<Listener>();
	readonly #tagPrefix = randomBytes(3).toString('hex');
	#nextJobId = 1;
	#nextTag = 1;
	#wireTap = false;
	#closed = false;

	constructor(options: AgentOptions) {
		this.name = options.name;
		this.registry = options.registry;
		this.clientQueueMax = options.clientQueueMax ?? 5;
		this.serverQueueMax = options.serverQueueMax ?? 1;
		this.#callTimeoutMs = options.callTimeoutMs ?? 5000;
		this.#serverSendTimeoutMs = options.serverSendTimeoutMs ?? 5000;
		this.#handlerTimeoutMs = options.handlerTimeoutMs ?? 5000;
		this.limits = {...defaultFrameLimits, ...options.limits};
		this.#decoder = new FrameDecoder(this.limits);
	}

	get clientState(): ClientState {
		return this.#clientState;
	}

	get serverState(): ServerState {
		return this.#serverState;
	}

	get connected(): boolean {
		return this.#channel !== undefined;
	}

	/** Client jobs queued or in flight. */
	get clientJobCount(): number {
		return this.#clientQueue.length + (this.#inFlight ? 1 : 0);
	}

	get serverJobCount(): number {
		return this.#serverJobs.filter(job => !job.rejection).length;
	}

	/**
	 * Jobs that hold a server slot. A response whose write is still finishing does not: a peer
	 * with one request in flight can only send its next request once it has read that response,
	 * so a request arriving now must not be refused for want of a slot.
	 */
	#serverSlotsTaken(): number {
		return this.#serverJobs.filter(job => !job.rejection && job.status !== 'sending').length;
	}

	/** Subscribe to every event; returns the unsubscribe function. */
	subscribe(listener: Listener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** Emit `wire` events with every frame's body (for `-v`). Off by default: it costs. */
	set wireTap(on: boolean) {
		this.#wireTap = on;
	}

	/** Run over this stream from now on (a previous one is dropped first). */
	attach(channel: Channel): void {
		if (this.#closed) {
			throw new VirtagentError('ENOTCONN', 'agent is closed');
		}

		if (this.#channel) {
			this.#channelLost(this.#channel, new Error('replaced by a new channel'));
		}

		this.#channel = channel;
		this.#decoder = new FrameDecoder(this.limits);
		channel.start({
			data: chunk => {
				if (this.#channel === channel) {
					this.#onData(chunk);
				}
			},
			close: error => {
				this.#channelLost(channel, error);
			},
		});
		if (this.#channel === channel) {
			this.#emit({type: 'channel', status: 'up', label: channel.label, at: Date.now()});
		}
	}

	/** Drop the current stream: pending jobs fail with ECONNRESET. */
	detach(reason = 'detached'): void {
		const channel = this.#channel;
		if (channel) {
			this.#channelLost(channel, new Error(reason));
			channel.destroy();
		}
	}

	/** Stop for good: the channel is closed and every job fails. */
	close(): void {
		this.detach('agent closed');
		this.#closed = true;
	}

	/**
	 * Queue a request. Fails at once with ENOBUFS when the client queue is full, ENOTCONN
	 * without a channel, EINVAL when the params cannot be encoded.
	 */
	async call(method: string, params: readonly XmlRpcValue[] = [], options: CallOptions = {}): Promise<XmlRpcValue> {
		if (!this.#channel) {
			throw new VirtagentError('ENOTCONN', 'not connected to the peer agent');
		}

		if (this.clientJobCount >= this.clientQueueMax) {
			throw new VirtagentError('ENOBUFS', 'client job queue limit exceeded');
		}

		let body: Buffer;
		try {
			body = encodeCall(method, params);
		} catch (error) {
			throw new VirtagentError('EINVAL', `cannot encode ${method}: ${(error as Error).message}`);
		}

		if (body.length > this.limits.bodyMax) {
			throw new VirtagentError('EINVAL', `${method} request too large: ${body.length} bytes (limit ${this.limits.bodyMax})`);
		}

		return new Promise<XmlRpcValue>((resolve, reject) => {
			const job: ClientJob = {
				id: this.#nextJobId++,
				method,
				tag: `${this.#tagPrefix}.${this.#nextTag++}`,
				body,
				status: 'queued',
				expired: false,
				timer: undefined,
				resolve,
				reject,
			};
			const timeoutMs = options.timeoutMs ?? this.#callTimeoutMs;
			job.timer = setTimeout(() => {
				this.#onClientTimeout(job, timeoutMs);
			}, timeoutMs);
			this.#clientQueue.push(job);
			this.#clientJobEvent(job, null, 'queued');
			this.#kick();
		});
	}

	/** Fail a queued or in-flight client job with ECANCELED (its late response is dropped). */
	cancel(jobId: number): boolean {
		const job = this.#inFlight?.id === jobId ? this.#inFlight : this.#clientQueue.find(j => j.id === jobId);
		if (!job) {
			return false;
		}

		this.#abandonClientJob(job, new VirtagentError('ECANCELED', `${job.method} cancelled`), 'cancelled');
		return true;
	}

	// ---- the kick: decides what goes on the wire next (PROTOCOL.md §4) ----

	#kick(): void {
		if (!this.#channel || this.#clientState === 'SEND' || this.#serverState === 'SEND') {
			// Only one message on the wire at a time; a server job that is ready waits in WAIT.
			if (this.#clientState === 'SEND' && this.#serverState === 'IDLE') {
				const ready = this.#serverJobs.find(job => job.status === 'ready');
				if (ready) {
					this.#setServer('WAIT', ready);
				}
			}

			return;
		}

		// Server work first.
		const ready = this.#serverJobs.find(job => job.status === 'ready');
		if (ready) {
			this.#startServerSend(ready);
			return;
		}

		if (this.#clientState !== 'IDLE') {
			return; // One client request in flight at a time.
		}

		const next = this.#clientQueue.shift();
		if (next) {
			this.#startClientSend(next);
		}
	}

	// ---- client side ----

	#startClientSend(job: ClientJob): void {
		const channel = this.#channel!;
		this.#inFlight = job;
		this.#setClient('SEND', job);
		this.#clientJobEvent(job, job.status, 'sending');
		this.#tapWire('out', 'request', job.tag, job.body);
		channel.write(encodeFrame('request', job.tag, job.body)).then(
			() => {
				this.#onClientSent(job);
			},
			(error: unknown) => {
				this.#channelLost(channel, error as Error);
			},
		);
	}

	#onClientSent(job: ClientJob): void {
		if (this.#inFlight !== job || this.#clientState !== 'SEND') {
			return; // Already answered (a fast peer) or reset meanwhile.
		}

		this.#setClient('WAIT', job);
		if (job.expired) {
			// Its deadline passed while it was being written: nothing waits for the answer.
			this.#lateTag(job.tag);
			this.#inFlight = undefined;
			this.#setClient('IDLE', job, 'timeout');
		} else {
			this.#clientJobEvent(job, job.status, 'waiting');
		}

		this.#kick();
	}

	#onResponse(frame: Frame): void {
		const job = this.#matchResponse(frame.tag);
		if (!job) {
			this.#kick();
			return;
		}

		clearTimeout(job.timer);
		this.#inFlight = undefined;
		if (this.#clientState === 'SEND') {
			// The peer answered before our write callback ran: the request was evidently sent.
			this.#setClient('WAIT', job);
		}

		this.#setClient('IDLE', job);
		this.#kick();
		let response: DecodedResponse;
		try {
			response = decodeResponse(frame.body);
		} catch (error) {
			this.#failClientJob(job, new VirtagentError('EPROTO', `unparsable response to ${job.method}: ${(error as Error).message}`));
			return;
		}

		if (response.ok) {
			this.#clientJobEvent(job, job.status, 'done');
			job.resolve(response.value);
		} else {
			this.#failClientJob(job, new RpcFaultError(response.fault));
		}
	}

	#matchResponse(tag: string | undefined): ClientJob | undefined {
		const job = this.#inFlight;
		if (tag === undefined || tag === 'none') {
			// A v5 peer sends no tags: the response answers the one request in flight.
			if (job && !job.expired) {
				return job;
			}

			this.#log('warn', 'untagged response with no request in flight: dropped');
			return undefined;
		}

		if (job?.tag === tag && !job.expired) {
			return job;
		}

		if (this.#lateTags.delete(tag)) {
			this.#log('info', `late response for tag ${tag} dropped (its job already failed)`);
		} else {
			this.#log('warn', `response with unknown tag ${JSON.stringify(tag)} dropped`);
		}

		return undefined;
	}

	#onClientTimeout(job: ClientJob, timeoutMs: number): void {
		job.timer = undefined;
		this.#abandonClientJob(job, new VirtagentError('ETIMEDOUT', `${job.method} timed out after ${formatMs(timeoutMs)}`), 'timeout');
	}

	/** A job that will get no answer: timed out or cancelled. */
	#abandonClientJob(job: ClientJob, error: VirtagentError, reason: string): void {
		clearTimeout(job.timer);
		const queued = this.#clientQueue.indexOf(job);
		if (queued >= 0) {
			this.#clientQueue.splice(queued, 1);
		} else if (this.#inFlight === job && this.#clientState === 'WAIT') {
			this.#lateTag(job.tag);
			this.#inFlight = undefined;
			this.#setClient('IDLE', job, reason);
		} else if (this.#inFlight === job) {
			// Mid-write: the frame must finish (the stream would desync otherwise); #onClientSent
			// then moves on without waiting for a response.
			job.expired = true;
		} else {
			return;
		}

		this.#failClientJob(job, error);
		this.#kick();
	}

	#failClientJob(job: ClientJob, error: Error): void {
		clearTimeout(job.timer);
		const code = error instanceof VirtagentError || error instanceof RpcFaultError ? error.code : 'ERROR';
		const message = error instanceof RpcFaultError ? error.faultString : error.message;
		this.#clientJobEvent(job, job.status, 'failed', {code, message});
		job.reject(error);
	}

	// ---- server side ----

	#onRequest(frame: Frame): void {
		if (this.#serverSlotsTaken() >= this.serverQueueMax) {
			this.#rejectRequest(frame);
			return;
		}

		const job = this.#addServerJob(frame.tag, '?', undefined);
		this.#answer(job, frame.body);
	}

	/** A job answering a request (running), or, given its fault body, refusing one (a rejection). */
	#addServerJob(tag: string | undefined, method: string, rejectionBody: Buffer | undefined): ServerJob {
		const job: ServerJob = {
			id: this.#nextJobId++,
			method,
			tag,
			rejection: rejectionBody !== undefined,
			status: rejectionBody ? 'ready' : 'running',
			body: rejectionBody,
			dropped: false,
			timer: undefined,
		};
		this.#serverJobs.push(job);
		return job;
	}

	#answer(job: ServerJob, requestBody: Buffer): void {
		let response: DecodedResponse | Promise<DecodedResponse>;
		try {
			const call = decodeCall(requestBody);
			job.method = call.method;
			this.#serverJobEvent(job, null, 'running');
			response = this.#runHandler(call.method, call.params, job.tag);
		} catch (error) {
			const code = error instanceof CodecError ? error.faultCode : FaultCode.internal; // -503, or -501 for too deep a nesting
			this.#serverJobEvent(job, null, 'running');
			response = {ok: false, fault: {code, message: (error as Error).message}};
		}

		if (response instanceof Promise) {
			void response.then(settled => {
				this.#ready(job, settled);
			});
		} else {
			this.#ready(job, response);
		}
	}

	#ready(job: ServerJob, response: DecodedResponse): void {
		if (job.dropped) {
			return; // The channel was reset while the handler ran: nobody to answer.
		}

		job.body = encodeAnswer(response, this.limits.bodyMax);
		this.#serverJobEvent(job, job.status, 'ready');
		this.#kick();
	}

	/** The handler's answer; one that is still pending gets a deadline (a sync one needs none). */
	#runHandler(method: string, params: readonly XmlRpcValue[], tag: string | undefined): DecodedResponse | Promise<DecodedResponse> {
		const answer = this.registry.dispatch({method, params}, {tag});
		if (!(answer instanceof Promise)) {
			return answer;
		}

		let timer: NodeJS.Timeout | undefined;
		const deadline = new Promise<DecodedResponse>(resolve => {
			timer = setTimeout(() => {
				resolve({ok: false, fault: {code: FaultCode.internal, message: `${method} did not answer within ${formatMs(this.#handlerTimeoutMs)}`}});
			}, this.#handlerTimeoutMs);
		});
		return Promise.race([answer, deadline]).finally(() => {
			clearTimeout(timer);
		});
	}

	/** Server queue full: the request still gets an answer, a fault (v5 dropped it silently). */
	#rejectRequest(frame: Frame): void {
		if (this.#serverJobs.length - this.serverJobCount >= rejectionMax) {
			this.#log('error', `request ${frame.tag ?? '(untagged)'} dropped: ${rejectionMax} over-limit requests already await their fault reply`);
			return;
		}

		const job = this.#addServerJob(frame.tag, '(rejected)', encodeFault({code: FaultCode.internal, message: 'server job queue limit exceeded'}));
		this.#log('warn', `request ${frame.tag ?? '(untagged)'} refused: server job queue limit exceeded`);
		this.#serverJobEvent(job, null, 'ready');
		this.#kick();
	}

	#startServerSend(job: ServerJob): void {
		const channel = this.#channel!;
		this.#setServer('SEND', job);
		this.#serverJobEvent(job, job.status, 'sending');
		job.timer = setTimeout(() => {
			this.#onServerSendTimeout(job);
		}, this.#serverSendTimeoutMs);
		this.#tapWire('out', 'response', job.tag, job.body!);
		channel.write(encodeFrame('response', job.tag, job.body!)).then(
			() => {
				this.#onServerSent(job);
			},
			(error: unknown) => {
				this.#channelLost(channel, error as Error);
			},
		);
	}

	#onServerSent(job: ServerJob): void {
		if (job.dropped) {
			return;
		}

		clearTimeout(job.timer);
		this.#removeServerJob(job);
		this.#serverJobEvent(job, job.status, 'done');
		this.#setServer('IDLE', job);
		this.#kick();
	}

	#onServerSendTimeout(job: ServerJob): void {
		if (job.dropped) {
			return;
		}

		job.dropped = true;
		this.#removeServerJob(job);
		this.#log('error', `response to ${job.method} (tag ${job.tag ?? 'none'}) not sent within ${formatMs(this.#serverSendTimeoutMs)}: dropped`);
		this.#serverJobEvent(job, job.status, 'failed', {code: 'ETIMEDOUT', message: 'send did not finish in time'});
		this.#setServer('IDLE', job, 'timeout');
		this.#kick();
	}

	#removeServerJob(job: ServerJob): void {
		const index = this.#serverJobs.indexOf(job);
		if (index >= 0) {
			this.#serverJobs.splice(index, 1);
		}
	}

	// ---- reading ----

	#onData(chunk: Buffer): void {
		this.#onDecoderEvents(this.#decoder.push(chunk));
		this.#armStallTimer();
	}

	/**
	 * Stalled frames (PROTOCOL.md §2): the decoder keeps no timers, so one timer here asks it to
	 * drop a message that stopped moving, even if no byte follows. (Parsers engineer: to move
	 * into the message reader.)
	 */
	#armStallTimer(): void {
		clearTimeout(this.#stallTimer);
		this.#stallTimer = undefined;
		const deadline = this.#decoder.stallDeadline;
		if (deadline === undefined || this.#channel === undefined) {
			return;
		}

		this.#stallTimer = setTimeout(() => {
			this.#stallTimer = undefined;
			this.#onDecoderEvents(this.#decoder.checkStall());
			this.#armStallTimer();
		}, Math.max(0, deadline - Date.now()));
		this.#stallTimer.unref();
	}

	#onDecoderEvents(events: readonly DecoderEvent[]): void {
		for (const event of events) {
			if (this.#channel === undefined) {
				return;
			}

			switch (event.type) {
				case 'frame': {
					this.#tapWire('in', event.frame.kind, event.frame.tag, event.frame.body);
					if (event.frame.kind === 'request') {
						this.#onRequest(event.frame);
					} else {
						this.#onResponse(event.frame);
					}

					break;
				}

				case 'skipped': {
					this.#log('warn', `skipped ${event.bytes} byte${event.bytes === 1 ? '' : 's'} of garbage before a frame`);
					break;
				}

				case 'error': {
					this.#log('error', `framing error: ${event.error.message}`);
					this.#reset('EPROTO', `framing error: ${event.error.message}`);
					break;
				}
			}
		}
	}

	// ---- channel loss and reset ----

	#channelLost(channel: Channel, error: Error | undefined): void {
		if (this.#channel !== channel) {
			return;
		}

		clearTimeout(this.#stallTimer);
		this.#stallTimer = undefined;

		for (const event of this.#decoder.end()) {
			if (event.type === 'error') {
				this.#log('warn', `stream ended mid-message: ${event.error.message}`);
			}
		}

		this.#channel = undefined;
		const reason = error?.message ?? 'stream closed';
		this.#reset('ECONNRESET', `channel lost: ${reason}`);
		this.#emit({type: 'channel', status: 'down', label: channel.label, reason, at: Date.now()});
	}

	/** Fail every client job, drop every server job, both machines to IDLE. */
	#reset(code: VirtagentErrorCode, message: string): void {
		const jobs = [...(this.#inFlight ? [this.#inFlight] : []), ...this.#clientQueue];
		const inFlight = this.#inFlight;
		this.#clientQueue.length = 0;
		this.#inFlight = undefined;
		if (inFlight) {
			this.#lateTag(inFlight.tag);
		}

		if (this.#clientState !== 'IDLE') {
			this.#setClient('IDLE', inFlight, 'reset', true);
		}

		const serverJobs = this.#serverJobs.splice(0);
		const current = serverJobs.find(job => job.status === 'sending' || job.status === 'ready');
		if (this.#serverState !== 'IDLE') {
			this.#setServer('IDLE', current, 'reset', true);
		}

		for (const job of jobs) {
			if (!job.expired) {
				this.#failClientJob(job, new VirtagentError(code, message));
			}
		}

		for (const job of serverJobs) {
			job.dropped = true;
			clearTimeout(job.timer);
			this.#serverJobEvent(job, job.status, 'failed', {code, message: `dropped: ${message}`});
		}

		this.#kick();
	}

	// ---- transitions and events ----

	#setClient(to: ClientState, job: ClientJob | undefined, reason?: string, isReset = false): void {
		const from = this.#clientState;
		if (!this.#transitionAllowed('client', from, to, isReset)) {
			return;
		}

		this.#clientState = to;
		this.#stateEvent('client', from, to, job?.id, job?.method, job?.tag, reason);
	}

	#setServer(to: ServerState, job: ServerJob | undefined, reason?: string, isReset = false): void {
		const from = this.#serverState;
		if (!this.#transitionAllowed('server', from, to, isReset)) {
			return;
		}

		this.#serverState = to;
		this.#stateEvent('server', from, to, job?.id, job?.method, job?.tag, reason);
	}

	/** An illegal move is a bug: report it and reset, never kill the process (the seed asserted). */
	#transitionAllowed(side: Side, from: EngineState, to: EngineState, isReset: boolean): boolean {
		if (isAllowed(side, from, to, isReset)) {
			return true;
		}

		this.#log('error', `bug: illegal ${side} transition ${from}→${to}; resetting the engine`);
		if (!isReset) {
			this.#reset('EPROTO', `internal error: illegal ${side} transition ${from}→${to}`);
		}

		return false;
	}

	#stateEvent(side: Side, from: EngineState, to: EngineState, jobId: number | undefined, method: string | undefined, tag: string | undefined, reason?: string): void {
		this.#emit({type: 'state', side, from, to, jobId, method, tag, at: Date.now(), ...(reason ? {reason} : {})});
	}

	#clientJobEvent(job: ClientJob, from: JobStatus | null, to: JobStatus, error?: {code: string | number; message: string}): void {
		this.#jobEvent('client', job, from, to, error);
	}

	#serverJobEvent(job: ServerJob, from: JobStatus | null, to: JobStatus, error?: {code: string | number; message: string}): void {
		this.#jobEvent('server', job, from, to, error);
	}

	#jobEvent(side: Side, job: ClientJob | ServerJob, from: JobStatus | null, to: JobStatus, error: {code: string | number; message: string} | undefined): void {
		job.status = to;
		this.#emit({
			type: 'job',
			side,
			from,
			to,
			jobId: job.id,
			method: job.method,
			tag: job.tag,
			at: Date.now(),
			queued: side === 'client' ? this.clientJobCount : this.serverJobCount,
			limit: side === 'client' ? this.clientQueueMax : this.serverQueueMax,
			...(error ? {error} : {}),
		});
	}

	#lateTag(tag: string): void {
		this.#lateTags.add(tag);
		if (this.#lateTags.size > lateTagMemory) {
			const oldest = this.#lateTags.values().next().value!;
			this.#lateTags.delete(oldest);
		}
	}

	#tapWire(direction: 'in' | 'out', kind: 'request' | 'response', tag: string | undefined, body: Buffer): void {
		if (this.#wireTap) {
			this.#emit({type: 'wire', direction, kind, tag, body, at: Date.now()});
		}
	}

	#log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
		this.#emit({type: 'log', level, message: `${this.name}: ${message}`, at: Date.now()});
	}

	#emit(event: EngineEvent): void {
		for (const listener of this.#listeners) {
			try {
				listener(event);
			} catch (error) {
				// A broken listener (a UI bug) must not stop the engine.
				if (event.type !== 'log') {
					this.#log('error', `event listener failed: ${(error as Error).message}`);
				}
			}
		}
	}
}

/** The response body; a result that cannot be encoded or would not fit in a frame is a fault. */
function encodeAnswer(response: DecodedResponse, bodyMax: number): Buffer {
	if (!response.ok) {
		return encodeFault(response.fault);
	}

	let body: Buffer;
	try {
		body = encodeResponse(response.value);
	} catch (error) {
		return encodeFault({code: FaultCode.internal, message: `cannot encode the result: ${(error as Error).message}`});
	}

	if (body.length > bodyMax) {
		return encodeFault({code: FaultCode.internal, message: `result too large: ${body.length} bytes (limit ${bodyMax})`});
	}

	return body;
}

function formatMs(ms: number): string {
	return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
