import {spawnSync} from 'node:child_process';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {ensureBuilt} from '../monitor/helpers/cli.js';
import {repoRoot} from './helpers.js';

// The daemon's log sink (src/guest/stderr-sink.ts) in a real child process, its descriptor 2 a
// real pipe: every byte arrives, in order, also when the pipe is non-blocking and fills up
// (write(2) says EAGAIN and the rest goes through process.stderr).
const sinkModule = path.join(repoRoot, 'dist/src/guest/stderr-sink.js');
// Built the same way here and in the child (a 200 KB argument is over Linux's limit for one).
const linesSource = `['first line\\n', 'multi-byte: é ü ✓ 🙂\\n', 'x'.repeat(200000) + '\\n', 'é'.repeat(70000), '\\nlast line\\n']`;
const expected = (new Function(`return ${linesSource}`)() as string[]).join('');
const childScript = `import(${JSON.stringify(sinkModule)}).then(({stderrSink}) => { const sink = stderrSink(); for (const line of ${linesSource}) sink(line); });`;

// A parent that makes the pipe non-blocking (Node cannot), starts the child on it and reads
// only after a pause, so that the child finds the pipe full.
const nonBlockingParent = `
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
child = subprocess.Popen([sys.argv[1], '--input-type=module', '-e', sys.argv[2]], stderr=w)
os.close(w)
time.sleep(0.5)
out = b''
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    out += chunk
child.wait()
sys.stdout.buffer.write(out)
`;

const hasPython = spawnSync('python3', ['--version']).status === 0;

describe('stderrSink', () => {
	beforeAll(() => {
		ensureBuilt();
	});

	it('writes every byte in order to a blocking pipe', () => {
		const result = spawnSync(process.execPath, ['--input-type=module', '-e', childScript], {encoding: 'utf8', maxBuffer: 16 << 20});
		expect(result.status).toBe(0);
		expect(result.stderr.length).toBe(expected.length);
		expect(result.stderr === expected).toBe(true);
	});

	it.runIf(hasPython)('carries on through process.stderr when write(2) says EAGAIN, losing and splitting nothing', () => {
		const result = spawnSync('python3', ['-c', nonBlockingParent, process.execPath, childScript], {encoding: 'utf8', maxBuffer: 16 << 20});
		expect(result.status).toBe(0);
		expect(result.stdout.length).toBe(expected.length);
		expect(result.stdout === expected).toBe(true);
	});
});
