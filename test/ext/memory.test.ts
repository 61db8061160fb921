import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { MemoryWatch, descendants, parseStat, readStatSync, treeRss, formatMB } from '../../src/process/memory.js';

const count = (log: string, re: RegExp): number => (log.match(re) ?? []).length;

test('memory: /proc/PID/stat parsing copes with spaces and parentheses in the command name', () => {
  const line = '4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200 18446744073709551615';
  assert.deepEqual(parseStat(line), { pid: 4242, state: 'S', ppid: 17, session: 4242, starttime: 987654 });
  const me = readStatSync(process.pid);
  assert.equal(me?.pid, process.pid);
  assert.equal(me?.ppid, process.ppid);
  const table = new Map([1, 2, 3, 4, 5].map((pid) => [pid, { pid, state: 'S', ppid: pid === 1 ? 0 : pid === 5 ? 1 : pid - 1, session: pid, starttime: 0 }]));
  assert.deepEqual(descendants(table, 2).sort(), [2, 3, 4]);
});

test('memory: two consecutive samples over the limit, with the message format', () => {
  const w = new MemoryWatch(512 * 1024 * 1024);
  assert.equal(w.sample(600 * 1024 * 1024), null);
  assert.equal(w.sample(100), null, 'an under-limit sample resets the count');
  assert.equal(w.sample(600 * 1024 * 1024), null);
  assert.equal(w.sample(Math.round(612.3 * 1024 * 1024)), 'memory 612.3 MB over memory_limit 512.0 MB on 2 samples');
  assert.equal(formatMB(1536 * 1024), '1.5 MB');
});

test('memory: treeRss counts descendants', async () => {
  const sizes = await treeRss([process.pid, 999_999_999]);
  assert.ok((sizes.get(process.pid) ?? 0) > 10 * 1024 * 1024, 'this node process has more than 10 MB resident');
  assert.equal(sizes.get(999_999_999), null);
});

test('memory_limit: a process tree growing past the limit is restarted after two samples; one under it is not', async () => {
  // The hog is a grandchild (sh runs node in the background), so only the tree sum sees it.
  const d = new TestDaemon({
    programs:
      '[program:hog]\ncommand=sh -c "node %(here)s/hog.js & wait"\nstartsecs=0\nmemory_limit=80MB\nstopasgroup=true\n\n' +
      '[program:small]\ncommand=sleep 1000\nstartsecs=0\nmemory_limit=80MB\n',
  });
  writeFileSync(
    join(d.dir, 'hog.js'),
    'const keep = []; setInterval(() => { if (keep.length < 40) keep.push(Buffer.alloc(4 << 20, 1)); }, 20);\n',
  );
  await d.start();
  try {
    const first = await d.waitState('hog', 'RUNNING');
    await waitFor(
      'memory restart',
      () => /WARN restarting 'hog': memory \d+\.\d MB over memory_limit 80\.0 MB on 2 samples/.test(d.mainLog()),
      40_000,
      200,
    );
    await waitFor('hog spawned again', () => count(d.mainLog(), /spawned: 'hog'/g) >= 2, 20_000);
    const again = await d.waitState('hog', 'RUNNING');
    assert.notEqual(again.pid, first.pid);
    const log = d.mainLog();
    assert.equal(count(log, /spawned: 'small'/g), 1, 'small stays under the limit');
    assert.doesNotMatch(log, /restarting 'small'/);
    const m = /restarting 'hog': memory (\d+\.\d) MB/.exec(log);
    assert.ok(Number(m![1]) > 80);
  } finally {
    await d.stop();
  }
});
