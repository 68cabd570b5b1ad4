/** Reported by `--version` and by va.capabilities (the protocol version stays "1.0"). */
export const packageVersion = '1.0.0';
export const protocolVersion = '1.0';
