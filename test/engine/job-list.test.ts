import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {JobList} from '../../src/engine/job-list.js';

type Job = {readonly id: number; readonly tag: string; at: number};

function list(): JobList<Job> {
	return new JobList<Job>({
		get: job => job.at,
		set(job, index) {
			job.at = index;
		},
	});
}

describe('JobList', () => {
	it('holds exactly what a Set would, whatever the adds, deletes and clears', () => {
		fc.assert(
			fc.property(fc.array(fc.tuple(fc.constantFrom('add', 'add', 'delete', 'clear'), fc.integer({min: 0, max: 11})), {maxLength: 300, size: 'max'}), steps => {
				const jobs: Job[] = Array.from({length: 12}, (_, id) => ({id, tag: `t${id}`, at: -1}));
				const tested = list();
				const model = new Set<Job>();
				// Each step's view, compared once per run (an expect per step and job is slow).
				const seen: unknown[] = [];
				const wanted: unknown[] = [];
				for (const [step, id] of steps) {
					const job = jobs[id]!;
					if (step === 'add') {
						tested.add(job);
						model.add(job);
					} else if (step === 'delete') {
						seen.push(tested.delete(job));
						wanted.push(model.delete(job));
					} else {
						tested.clear();
						model.clear();
					}

					seen.push(
						tested.size,
						tested.oldestFirst(),
						tested.sole,
						jobs.map(each => [tested.has(each), tested.withTag(each.tag)]),
					);
					wanted.push(
						model.size,
						[...model].sort((a, b) => a.id - b.id),
						model.size === 1 ? [...model][0] : undefined,
						jobs.map(each => [model.has(each), model.has(each) ? each : undefined]),
					);
				}

				expect(seen).toEqual(wanted);
			}),
			{numRuns: 200},
		);
	});

	it('does not take a job of another list for its own', () => {
		const first = list();
		const second = list();
		const a: Job = {id: 1, tag: 'a', at: -1};
		const b: Job = {id: 2, tag: 'b', at: -1};
		first.add(a);
		second.add(b);
		// b's place (0) in the second list is a's place in the first: only identity tells them apart.
		expect(first.has(b)).toBe(false);
		expect(first.delete(b)).toBe(false);
		expect(first.oldestFirst()).toEqual([a]);
	});
});
