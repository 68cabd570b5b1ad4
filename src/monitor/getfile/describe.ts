import {escapeLine} from '../escape.js';
import type {CopyProgress, CopyResult} from './copy-file.js';

const mib = 1024 * 1024;

/** `12.5 MiB/s`, `900 B/s`. */
export function formatRate(bytesPerSecond: number): string {
	return bytesPerSecond >= mib
		? `${(bytesPerSecond / mib).toFixed(1)} MiB/s`
		: bytesPerSecond >= 1024
			? `${(bytesPerSecond / 1024).toFixed(1)} KiB/s`
			: `${Math.round(bytesPerSecond)} B/s`;
}

/** The bar's width in characters (the line stays under 80 columns). */
const barWidth = 20;

/**
 * One progress line: `agent_getfile [#######.............] 37% 12.0 MiB of 32.0 MiB, 10.1 MiB/s,
 * 2 s left`; without a known size (qemu-ga has no stat) the bytes so far and the rate.
 */
export function describeProgress(progress: CopyProgress): string {
	const done = `${(progress.bytes / mib).toFixed(1)} MiB`;
	const rate = formatRate(progress.rate);
	if (progress.total === undefined || progress.total === 0) {
		return `agent_getfile ${done} so far, ${rate}`;
	}

	const fraction = Math.min(1, progress.bytes / progress.total);
	const filled = Math.floor(fraction * barWidth);
	const bar = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`;
	const eta = progress.etaSeconds === undefined ? '' : `, ${Math.ceil(progress.etaSeconds)} s left`;
	return `agent_getfile ${bar} ${Math.floor(fraction * 100)}% ${done} of ${(progress.total / mib).toFixed(1)} MiB, ${rate}${eta}`;
}

/**
 * What the operator reads after a copy; the file-changed check says what it found, or that it
 * could not check (qemu-ga has no stat; procfs files have no size).
 */
export function describeCopy(result: CopyResult, protocol: 'virtagent' | 'qga'): string {
	const rate = formatRate(result.bytes / Math.max(result.seconds, 1e-3));
	const lines = [`copied ${result.bytes} bytes to ${escapeLine(result.path)} in ${result.seconds.toFixed(2)} s (${rate}), sha256 ${result.sha256}`];
	if (result.changed === true) {
		lines.push('warning: the file changed in the guest during the copy (its size or mtime differ between the first and the last chunk)');
	} else if (result.changed === undefined) {
		lines.push(
			protocol === 'qga'
				? 'could not check whether the file changed during the copy (qemu-ga reports no size or mtime)'
				: 'could not check whether the file changed during the copy (the guest reports no size for it)',
		);
	}

	return lines.join('\n');
}
