import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { LogError, readLog, tailLog } from '../../src/logging/index.js';
import { havePythonSupervisor, runPython, tempDir } from './helpers.js';

function fault(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof LogError) return e.code;
    throw e;
  }
  return 'none';
}

test('readLog semantics of rpcinterface.readLog', (t) => {
  const path = join(tempDir(t), 'x.log');
  fs.writeFileSync(path, '0123456789');
  assert.equal(readLog(path, 0, 0), '0123456789');
  assert.equal(readLog(path, 2, 3), '234');
  assert.equal(readLog(path, 8, 100), '89');
  assert.equal(readLog(path, 50, 0), '');
  assert.equal(readLog(path, -3, 0), '789');
  assert.equal(readLog(path, -100, 0), '0123456789');
  assert.equal(fault(() => readLog(path, -3, 2)), 'BAD_ARGUMENTS');
  assert.equal(fault(() => readLog(path, 0, -1)), 'BAD_ARGUMENTS');
  assert.equal(fault(() => readLog(path + '.missing', 0, 0)), 'NO_FILE');
  assert.equal(fault(() => readLog(null, 0, 0)), 'NO_FILE');
});

test('tailLog semantics of tailProcessStdoutLog', (t) => {
  const path = join(tempDir(t), 'x.log');
  fs.writeFileSync(path, '0123456789');
  assert.deepEqual(tailLog(path, 0, 100), ['0123456789', 10, false]);
  assert.deepEqual(tailLog(path, 0, 4), ['6789', 10, true]); // overflow: window moves to the end
  assert.deepEqual(tailLog(path, 10, 4), ['', 10, false]);
  assert.deepEqual(tailLog(path, 20, 4), ['', 10, false]);
  assert.deepEqual(tailLog(path + '.missing', 5, 4), ['', 0, false]);
});

test('invalid UTF-8 is decoded with replacement', (t) => {
  const path = join(tempDir(t), 'x.log');
  fs.writeFileSync(path, Buffer.from([0x61, 0xff, 0xc3, 0xa9]));
  assert.equal(readLog(path, 0, 0), 'a\ufffdé');
  assert.equal(tailLog(path, 0, 10)[0], 'a\ufffdé');
});

test('readLog/tailLog agree with Supervisor readFile/tailFile', { skip: !havePythonSupervisor }, (t) => {
  const path = join(tempDir(t), 'x.log');
  fs.writeFileSync(path, 'abcdefghijklmnopqrstuvwxyz');
  const cases: [number, number][] = [];
  for (const o of [-30, -26, -5, -1, 0, 1, 5, 25, 26, 27, 40]) {
    for (const l of [-3, 0, 1, 5, 26, 30]) cases.push([o, l]);
  }
  const py = JSON.parse(
    runPython(
      `
import sys, json
from supervisor.options import readFile, tailFile
a = json.loads(sys.stdin.read())
out = []
for o, l in a['cases']:
    try:
        r = readFile(a['path'], o, l).decode()
    except ValueError as e:
        r = 'FAULT:' + e.args[0]
    out.append([r, tailFile(a['path'], o, l)])
print(json.dumps(out))
`,
      JSON.stringify({ path, cases }),
    ),
  ) as [string, [string, number, boolean]][];
  cases.forEach(([o, l], i) => {
    const [pyRead, pyTail] = py[i]!;
    let ours: string;
    try {
      ours = readLog(path, o, l);
    } catch (e) {
      ours = `FAULT:${(e as LogError).code}`;
    }
    assert.equal(ours, pyRead, `readLog(${o}, ${l})`);
    assert.deepEqual(tailLog(path, o, l), pyTail, `tailLog(${o}, ${l})`);
  });
});
