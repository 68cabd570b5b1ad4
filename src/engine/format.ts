/** `5s`, `250ms`: a duration as the engine's messages show it. */
export function formatMs(ms: number): string {
	return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
