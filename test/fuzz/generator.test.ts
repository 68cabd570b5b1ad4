/*
 * The fuzzer's own parts: the same seed gives the same hostile cases (a finding can be replayed
 * with --seed), and its frame reader reassembles what the programs send however it is split.
 */
import {describe, expect, it} from 'vitest';
import {caseClasses, type CaseContext, makeCase, pickClass} from '../../fuzz/hostile.js';
import {Random} from '../../fuzz/random.js';
import {frame, FrameReader, methodOf} from '../../fuzz/wire.js';

function casesFor(seed: number, count: number): string[] {
	const random = new Random(seed);
	let tag = 0;
	const context: CaseContext = {direction: 'request', tag: () => `t${++tag}`, methods: ['va.ping', 'va.getfile'], bigFile: '/nonexistent', stallMs: 10_000};
	const out: string[] = [];
	for (let i = 0; i < count; i++) {
		const cls = pickClass(
			random,
			caseClasses.filter(name => name !== 'flood'),
		);
		const hostile = makeCase(cls, random.fork(), context);
		const bytes = hostile.steps.flatMap(step => ('bytes' in step ? [step.bytes.toString('latin1')] : [step.type]));
		out.push(`${cls}|${hostile.label}|${bytes.join('|').length}|${bytes.join('|').slice(0, 200)}`);
	}

	return out;
}

describe('the hostile case generator', () => {
	it('is deterministic for a seed and differs between seeds', () => {
		expect(casesFor(42, 200)).toEqual(casesFor(42, 200));
		expect(casesFor(42, 200)).not.toEqual(casesFor(43, 200));
	});

	it('reaches every class', () => {
		const seen = new Set(casesFor(7, 3000).map(line => line.split('|')[0]));
		expect([...seen].sort()).toEqual(caseClasses.filter(name => name !== 'flood').sort());
	});
});

describe('the fuzzer frame reader', () => {
	it('reassembles frames split at every byte, with junk between them', () => {
		const stream = Buffer.concat([
			Buffer.from('junk'),
			frame('response', 'a1', '<x>é</x>'),
			frame('request', 'b2', '<methodCall><methodName>va.hello</methodName></methodCall>'),
		]);
		for (let cut = 0; cut <= stream.length; cut++) {
			const reader = new FrameReader();
			const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
			expect(frames.map(read => [read.kind, read.tag, read.body.toString('utf8')])).toEqual([
				['response', 'a1', '<x>é</x>'],
				['request', 'b2', '<methodCall><methodName>va.hello</methodName></methodCall>'],
			]);
			expect(methodOf(frames[1]!.body)).toBe('va.hello');
		}
	});
});
