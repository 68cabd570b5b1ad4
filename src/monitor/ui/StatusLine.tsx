import {Box, Text} from 'ink';
import {memo} from 'react';
import {escapeLine} from '../escape.js';
import type {ConnectionState, GuestInfo, SessionStatus} from '../session-api.js';
import {age, clockTime} from './format.js';

function Connection({connection}: {readonly connection: ConnectionState}) {
	switch (connection.state) {
		case 'connected': {
			return <Text color="green">● connected</Text>;
		}

		case 'connecting': {
			return <Text color="yellow">○ connecting…</Text>;
		}

		case 'listening': {
			return <Text color="yellow">○ listening for the guest…</Text>;
		}

		case 'retrying': {
			return (
				<Text color="yellow">
					○ retrying in {age(connection.inMs)} (attempt {connection.attempt}): {escapeLine(connection.reason)}
				</Text>
			);
		}

		case 'disconnected': {
			return <Text color="red">✕ disconnected: {escapeLine(connection.reason)}</Text>;
		}
	}
}

function Guest({guest}: {readonly guest: GuestInfo}) {
	const hello = guest.helloAt === undefined ? 'no hello yet' : `said hello at ${clockTime(guest.helloAt, false)}`;
	const version = guest.version === undefined ? '' : `, version ${escapeLine(guest.version)}`;
	const methods = guest.methods === undefined ? ', methods not negotiated' : `, ${guest.methods.length} method${guest.methods.length === 1 ? '' : 's'}`;
	return (
		<Text color={guest.methods === undefined ? 'yellow' : undefined}>
			guest {hello}
			{version}
			{methods}
		</Text>
	);
}

export type StatusLineProps = {
	readonly status: SessionStatus;
};

/** One line (the guest part moves to a second one on a narrow terminal): channel, connection state, and what the guest said about itself. */
function StatusLine({status}: StatusLineProps) {
	return (
		<Box flexWrap="wrap" columnGap={2}>
			<Text bold wrap="truncate-middle">
				{escapeLine(status.channel)}
			</Text>
			<Connection connection={status.connection} />
			<Guest guest={status.guest} />
		</Box>
	);
}

/** Redrawn only when its props change (the screen renders every frame). */
export default memo(StatusLine);
