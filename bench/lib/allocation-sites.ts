import {Session as InspectorSession} from 'node:inspector';

type ProfileNode = {
	readonly callFrame: {readonly functionName: string; readonly url: string; readonly lineNumber: number};
	readonly selfSize: number;
	readonly children: readonly ProfileNode[];
};

/**
 * Where `work` allocates, by function: V8's sampling heap profiler with the objects the
 * collector has already freed included (the default counts only what is still alive, which
 * misses every short-lived object of a request path). Returns bytes per function, largest first.
 */
export async function allocationSites(
	work: () => Promise<void>,
	samplingInterval = 128,
): Promise<ReadonlyArray<{readonly site: string; readonly bytes: number}>> {
	const session = new InspectorSession();
	session.connect();
	const post = async <T>(method: string, parameters?: object): Promise<T> =>
		new Promise((resolve, reject) => {
			session.post(method, parameters, (error, result) => {
				if (error) {
					reject(error);
				} else {
					resolve(result as T);
				}
			});
		});
	try {
		await post('HeapProfiler.enable');
		await post('HeapProfiler.startSampling', {samplingInterval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true});
		await work();
		const {profile} = await post<{profile: {head: ProfileNode}}>('HeapProfiler.stopSampling');
		const bytes = new Map<string, number>();
		const visit = (node: ProfileNode): void => {
			if (node.selfSize > 0) {
				const {functionName, url, lineNumber} = node.callFrame;
				const site = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
				bytes.set(site, (bytes.get(site) ?? 0) + node.selfSize);
			}

			for (const child of node.children) {
				visit(child);
			}
		};

		visit(profile.head);
		return [...bytes].map(([site, total]) => ({site, bytes: total})).sort((a, b) => b.bytes - a.bytes);
	} finally {
		session.disconnect();
	}
}

/**
 * `call` run `calls` times under the sampler: prints `header` with the bytes allocated per call,
 * then the 25 functions that allocate most, in bytes per call.
 */
export async function printAllocationsPerCall(calls: number, call: () => Promise<unknown>, header: (bytesPerCall: number) => string): Promise<void> {
	const sites = await allocationSites(async () => {
		for (let i = 0; i < calls; i++) {
			await call();
		}
	});
	const total = sites.reduce((sum, {bytes}) => sum + bytes, 0);
	console.log(header(Math.round(total / calls)));
	for (const {site, bytes} of sites.slice(0, 25)) {
		console.log(`${String(Math.round(bytes / calls)).padStart(7)}  ${site}`);
	}
}
