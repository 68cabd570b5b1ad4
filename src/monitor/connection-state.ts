/** Where the monitor's link to one guest stands, as the status line, the fleet table and scripts see it. */
export type ConnectionState =
	| {readonly state: 'connecting'}
	| {readonly state: 'connected'; readonly since: number}
	/** `--protocol auto`: a stream is up and probed, and the guest has not answered yet (docs/PROTOCOL.md §9). */
	| {readonly state: 'detecting'; readonly since: number; readonly probes: number; readonly nextInMs: number}
	| {readonly state: 'retrying'; readonly attempt: number; readonly inMs: number; readonly reason: string}
	| {readonly state: 'listening'}
	| {readonly state: 'disconnected'; readonly reason: string};
