/**
 * The two state machines of the job engine (PROTOCOL.md §4), as tables of allowed transitions.
 * This file is the one place that says which moves are legal; the engine asks it before every
 * change and treats a refusal as a bug in itself (reported, then the engine resets).
 */
export type ClientState = 'IDLE' | 'SEND' | 'WAIT';
export type ServerState = 'IDLE' | 'WAIT' | 'SEND';
export type Side = 'client' | 'server';
export type EngineState = ClientState | ServerState;

type Table<S extends string> = {readonly [From in S]: readonly S[]};

/**
 * Client: IDLE→SEND (job queued, send side free) · SEND→WAIT (request written) ·
 * WAIT→IDLE (response read, or the job failed). SEND→IDLE only on a reset (channel lost).
 */
export const clientTransitions: Table<ClientState> = {
	IDLE: ['SEND'],
	SEND: ['WAIT', 'IDLE'],
	WAIT: ['IDLE'],
};

/**
 * Server: IDLE→WAIT (response ready, send side busy with a client request) ·
 * IDLE|WAIT→SEND (sending the response) · SEND→IDLE (sent, or dropped).
 * WAIT→IDLE only on a reset.
 */
export const serverTransitions: Table<ServerState> = {
	IDLE: ['WAIT', 'SEND'],
	WAIT: ['SEND', 'IDLE'],
	SEND: ['IDLE'],
};

/** Transitions that only a reset may take; anything else taking them is a bug. */
const resetOnly: {readonly [S in Side]: Partial<Record<EngineState, EngineState>>} = {
	client: {SEND: 'IDLE'},
	server: {WAIT: 'IDLE'},
};

export function isAllowed(side: Side, from: EngineState, to: EngineState, isReset = false): boolean {
	const table: Table<EngineState> = side === 'client' ? clientTransitions : serverTransitions;
	if (!table[from]?.includes(to)) {
		return false;
	}

	// Checked on every transition of every call: no strings built here.
	return isReset || resetOnly[side][from] !== to;
}
