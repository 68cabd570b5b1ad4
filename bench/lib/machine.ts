import os from 'node:os';

export type Machine = {
	readonly cpus: number;
	readonly cpuModel: string;
	readonly loadAverage: readonly number[];
	readonly totalMemoryBytes: number;
	readonly node: string;
	readonly platform: string;
	readonly kernel: string;
};

/** Where the figures were taken; the load average says how busy the shared machine was. */
export function describeMachine(): Machine {
	return {
		cpus: os.cpus().length,
		cpuModel: os.cpus()[0]?.model ?? 'unknown',
		loadAverage: os.loadavg(),
		totalMemoryBytes: os.totalmem(),
		node: process.version,
		platform: `${process.platform}-${process.arch}`,
		kernel: os.release(),
	};
}
