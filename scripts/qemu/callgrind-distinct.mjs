// Distinct instructions in a callgrind dump made with --dump-instr=yes: every instruction address
// with a cost, i.e. executed at least once. Under TCG (software emulation) each one has to be
// translated the first time it runs, so a cold start costs about its distinct instructions, not
// only its executed ones (docs/guest.md "the cold start").
// Used by instructions.mjs port; the per-function tally says where new code was run.
import fs from 'node:fs';

/**
 * The dump's instruction addresses with their functions: Map<address, function name>.
 * Callgrind's format: "positions: instr line" headers, "fn=(id) name" name compression, and cost
 * lines whose first position is absolute (0x..), relative (+n/-n) or the same (*).
 */
export function instructionsOf(file) {
	const text = fs.readFileSync(file, 'utf8');
	const names = new Map();
	const seen = new Map();
	let fn = '?';
	let last = 0;
	let afterCalls = false;
	for (const line of text.split('\n')) {
		const first = line.charCodeAt(0);
		// A cost line starts with a position: a digit, 0x, + or - or *.
		if ((first >= 48 && first <= 57) || first === 43 || first === 45 || first === 42) {
			const position = line.slice(0, line.indexOf(' '));
			if (position === '*') {
				// the same address
			} else if (first === 43 || first === 45) {
				// a decimal or 0x number after the sign
				const step = Number(position.slice(1));
				last += first === 43 ? step : -step;
			} else {
				last = Number(position);
			}

			// The cost line after calls= is the call's inclusive cost at the call site: the site's own
			// cost line names the same address, so it is counted there.
			if (!afterCalls) {
				seen.set(last, fn);
			}

			afterCalls = false;
			continue;
		}

		if (line.startsWith('fn=')) {
			fn = nameOf(line.slice(3), names);
		} else if (line.startsWith('cfn=')) {
			nameOf(line.slice(4), names);
		} else if (line.startsWith('calls=')) {
			afterCalls = true;
		}
	}

	return seen;
}

// "(id) name" defines id; "(id)" alone refers to it. Function ids only (files and objects are not needed).
function nameOf(text, names) {
	const match = /^\((\d+)\)(?: (.*))?$/.exec(text);
	if (!match) {
		return text;
	}

	if (match[2] !== undefined) {
		names.set(match[1], match[2]);
	}

	return names.get(match[1]) ?? text;
}

/** {distinct, fresh, byFunction}: the later part's distinct instructions, those not in the earlier part, and the fresh ones per function. */
export function distinctAfter(earlierFile, laterFile) {
	const earlier = instructionsOf(earlierFile);
	const later = instructionsOf(laterFile);
	let fresh = 0;
	const byFunction = new Map();
	for (const [address, fn] of later) {
		if (!earlier.has(address)) {
			fresh++;
			byFunction.set(fn, (byFunction.get(fn) ?? 0) + 1);
		}
	}

	return {earlier: earlier.size, distinct: later.size, fresh, byFunction};
}

// Rough kinds of code, by function name (the executable is stripped: V8's builtins and Node's
// JavaScript-free helpers show as bare addresses).
const kinds = [
	['regular-expression compiler', /RegExp|Regexp|regexp/],
	['parser', /Parser|Scanner|PreParser|AstRawString|AstValueFactory/],
	['bytecode generator', /interpreter::|BytecodeGenerator|BytecodeArray/],
	['Sparkplug', /baseline::/],
	['maps and inline caches', /Map|IC::|Transition|Descriptor|LookupIterator/],
	['address only (builtins, stripped)', /^0x/],
];

/** Fresh distinct instructions per kind of code (the first kind whose pattern names the function). */
export function byKind(byFunction) {
	const totals = new Map();
	for (const [fn, count] of byFunction) {
		const kind = kinds.find(([, pattern]) => pattern.test(fn))?.[0] ?? 'other';
		totals.set(kind, (totals.get(kind) ?? 0) + count);
	}

	return [...totals].sort((a, b) => b[1] - a[1]);
}
