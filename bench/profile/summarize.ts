/**
 * `node dist/bench/profile/summarize.js FILE.cpuprofile [N]`: self time by function and by
 * module, the N heaviest, so that a profile can be quoted in a commit message.
 */
import {readFileSync} from 'node:fs';

type ProfileNode = {
	readonly id: number;
	readonly callFrame: {readonly functionName: string; readonly url: string; readonly lineNumber: number};
	readonly children?: readonly number[];
};
type Profile = {readonly nodes: readonly ProfileNode[]; readonly samples: readonly number[]; readonly timeDeltas: readonly number[]};

const [file, topText] = process.argv.slice(2);
if (!file) {
	console.error('usage: summarize FILE.cpuprofile [N]');
	process.exit(2);
}

const top = Number(topText ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map(node => [node.id, node]));
const selfByFunction = new Map<string, number>();
const selfByModule = new Map<string, number>();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
	const node = byId.get(profile.samples[i]!)!;
	const delta = profile.timeDeltas[i] ?? 0;
	total += delta;
	const {functionName, url, lineNumber} = node.callFrame;
	const where = url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/').replace(/^node:/, 'node:');
	const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
	selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + delta);
	const module = where === '' ? functionName : where.replace(/:\d+$/, '');
	selfByModule.set(module, (selfByModule.get(module) ?? 0) + delta);
}

const show = (title: string, table: Map<string, number>) => {
	console.log(`\n${title}`);
	for (const [key, micros] of [...table].sort((a, b) => b[1] - a[1]).slice(0, top)) {
		console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
	}
};

console.log(`${(total / 1000).toFixed(0)} ms sampled`);
show('self time by module', selfByModule);
show('self time by function', selfByFunction);
