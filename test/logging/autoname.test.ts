import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { basename, join } from 'node:path';
import { autoChildLogName, clearAutoChildLogs } from '../../src/logging/index.js';
import { havePythonSupervisor, runPython, tempDir } from './helpers.js';

test('AUTO child log name shape; the file is created and unique', (t) => {
  const dir = tempDir(t);
  const names = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const p = autoChildLogName(dir, 'web', 'supervisor', i % 2 ? 'stderr' : 'stdout');
    assert.match(basename(p), /^web-(stdout|stderr)---supervisor-[a-z0-9_]{8}\.log$/);
    assert.ok(fs.statSync(p).isFile());
    assert.equal(fs.statSync(p).mode & 0o777, 0o600);
    names.add(p);
  }
  assert.equal(names.size, 50);
});

const FILES = [
  'web-stdout---supervisor-abc12345.log',
  'web-stdout---supervisor-abc12345.log.1',
  'web-stderr---supervisor-x_y.log.10',
  'a-b-stdout---supervisor-zzzzzzzz.logfoo',
  'web-stdout---other-abc12345.log',
  'web-stdout---supervisor-.log',
  'supervisord.log',
  '---supervisor-abc.log',
  'mine.log',
];

test('clearAutoChildLogs removes AUTO logs and their backups for this identifier only', (t) => {
  const dir = tempDir(t);
  for (const f of FILES) fs.writeFileSync(join(dir, f), '');
  const warnings: string[] = [];
  const r = clearAutoChildLogs(dir, 'supervisor', (m) => warnings.push(m));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['---supervisor-abc.log', 'mine.log', 'supervisord.log', 'web-stdout---other-abc12345.log', 'web-stdout---supervisor-.log']);
  assert.equal(r.removed.length, 4);
  assert.equal(warnings.length, 0);
  const more: string[] = [];
  clearAutoChildLogs(join(dir, 'nope'), 'supervisor', (m) => more.push(m));
  assert.deepEqual(more, ['Could not clear childlog dir']);
});

test('clearAutoChildLogs matches the same names as Supervisor', { skip: !havePythonSupervisor }, (t) => {
  const dir = tempDir(t);
  const py = JSON.parse(
    runPython(
      `
import re, sys, json
a = json.loads(sys.stdin.read())
fnre = re.compile(r'.+?---%s-\\S+\\.log\\.{0,1}\\d{0,4}' % 'supervisor')
print(json.dumps(sorted(f for f in a if not fnre.match(f))))
`,
      JSON.stringify(FILES),
    ),
  ) as string[];
  for (const f of FILES) fs.writeFileSync(join(dir, f), '');
  clearAutoChildLogs(dir, 'supervisor');
  assert.deepEqual(fs.readdirSync(dir).sort(), py);
});
