// The state journal on its own: replay of damaged files, compaction, and its clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Journal, readJournal, replayJournal, type StopSettings } from '../../src/daemon/journal.js';
import { bootTicksClock, TICK_SLACK } from '../../src/daemon/bootclock.js';
import { readStatSync } from '../../src/process/memory.js';

const settings = (name: string): StopSettings => ({ name, group: 'g', stopsignal: 15, stopasgroup: false, killasgroup: true, stopwaitsecs: 3 });
const line = (o: object): string => JSON.stringify(o) + '\n';

test('journal: replay follows spawns and exits; a line cut short by the kill is ignored, not fatal', () => {
  const text =
    line({ op: 'daemon', v: 2, pid: 10, starttime: 500 }) +
    line({ op: 'spawning', ...settings('a'), at: 600 }) +
    line({ op: 'spawned', ...settings('a'), pid: 11, startMin: 600, startMax: 601 }) +
    line({ op: 'spawning', ...settings('b'), at: 602 }) +
    line({ op: 'spawned', ...settings('b'), pid: 12, startMin: 602, startMax: 602 }) +
    line({ op: 'exited', pid: 11 }) +
    line({ op: 'spawning', ...settings('a'), at: 650 }) +
    line({ op: 'spawned', ...settings('a'), pid: 11, startMin: 650, startMax: 651 }) + // the pid again, later
    line({ op: 'spawning', ...settings('c'), at: 700 }) +
    line({ op: 'failed', name: 'c', group: 'g' }) +
    line({ op: 'spawning', ...settings('d'), at: 800 }) +
    '{"op":"spawned","name":"d","gro';
  const r = replayJournal(text);
  assert.deepEqual(r.daemon, { pid: 10, starttime: 500 });
  assert.deepEqual(r.children, [
    { ...settings('b'), pid: 12, startMin: 602, startMax: 602 },
    { ...settings('a'), pid: 11, startMin: 650, startMax: 651 },
  ]);
  assert.deepEqual(r.unresolved, [{ ...settings('d'), at: 800 }], 'the fork of d has no outcome on disk');
  assert.equal(r.badLines, 0, 'the truncated last line is expected after a kill');
});

test('journal: a damaged line in the middle is counted and skipped; the rest still counts', () => {
  const text =
    line({ op: 'daemon', v: 2, pid: 10, starttime: 500 }) +
    'garbage\n' +
    line({ op: 'spawned', name: 'x' }) + // no pid: unusable
    line({ op: 'spawned', ...settings('a'), pid: 11, startMin: 600, startMax: 601 }) +
    line({ op: 'spawned', ...settings('n'), pid: 13, startMin: null, startMax: null }); // unverifiable: never acted on
  const r = replayJournal(text);
  assert.equal(r.badLines, 2);
  assert.deepEqual(r.children.map((c) => c.name), ['a']);
});

test('journal: every change is on disk when the call returns; compaction keeps it small and equivalent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svts-journal-'));
  try {
    const path = join(dir, 'j.jsonl');
    writeFileSync(path, 'the previous daemon\'s journal\n');
    const errors: string[] = [];
    const j = new Journal(path, { pid: 1234, starttime: 42 }, [{ ...settings('carried'), pid: 99, startMin: 7, startMax: 7 }], (m) => errors.push(m));
    assert.deepEqual(readJournal(path)?.children.map((c) => c.pid), [99], 'started afresh with the carried child');
    let pid = 1000;
    let maxLines = 0;
    for (let i = 0; i < 3000; i++) {
      const s = settings(`p${i % 50}`);
      j.spawning(s, i);
      assert.deepEqual(readJournal(path)?.unresolved.map((u) => u.name), [s.name], 'the fork is announced before it happens');
      j.spawned(s, ++pid, i + 1);
      assert.deepEqual(readJournal(path)?.children.at(-1), { ...s, pid, startMin: i, startMax: i + 1 }, 'the pid is on disk when spawned() returns');
      if (i >= 50) j.exited(pid - 50); // 50 alive at any time
      maxLines = Math.max(maxLines, readFileSync(path, 'utf8').split('\n').length - 1);
    }
    const r = readJournal(path)!;
    assert.deepEqual(r.daemon, { pid: 1234, starttime: 42 });
    assert.deepEqual(r.unresolved, []);
    assert.deepEqual(
      r.children.map((c) => c.pid).sort((a, b) => a - b),
      [99, ...Array.from({ length: 50 }, (_, k) => pid - 49 + k)],
    );
    assert.ok(maxLines <= 2 * 51 + 512 + 3, `compacted: at most ${maxLines} lines for 51 live children`);
    j.exited(99);
    for (let k = pid - 49; k <= pid; k++) j.exited(k);
    j.close();
    assert.equal(readJournal(path), null, 'removed when nothing is left alive');
    assert.deepEqual(errors, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('journal: a failed write is reported once and the next change rewrites the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svts-journal-'));
  try {
    const errors: string[] = [];
    // The directory does not exist yet: nothing can be written.
    const path = join(dir, 'later', 'j.jsonl');
    const j = new Journal(path, { pid: 1, starttime: 2 }, [], (m) => errors.push(m));
    j.spawning(settings('a'), 1);
    j.spawned(settings('a'), 5, 3);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /could not write state file .*later\/j\.jsonl: ENOENT/);
    mkdirSync(join(dir, 'later'));
    j.spawning(settings('b'), 2);
    assert.deepEqual(readJournal(path)?.children.map((c) => c.name), ['a'], 'caught up: a was not lost');
    assert.deepEqual(readJournal(path)?.unresolved.map((u) => u.name), ['b']);
    j.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('boot clock: agrees with the start time the kernel gives a new process, and re-reads /proc/uptime after a suspend', async () => {
  const clock = bootTicksClock();
  const before = clock()!;
  const child = spawn('sleep', ['5'], { stdio: 'ignore' });
  const after = clock()!;
  try {
    const st = readStatSync(child.pid!)!;
    assert.ok(before - TICK_SLACK <= st.starttime && st.starttime <= after + TICK_SLACK, `${before} <= ${st.starttime} <= ${after}`);
  } finally {
    child.kill('SIGKILL');
  }
  // A suspend stops the monotonic clock but not boot time or wall time.
  let uptime = '100.00 50.00';
  const reads: string[] = [];
  const fake = bootTicksClock(() => (reads.push(uptime), uptime));
  assert.equal(Math.round(fake()! / 100), 100);
  const realNow = Date.now;
  try {
    uptime = '3700.00 50.00';
    Date.now = () => realNow() + 3600_000;
    assert.equal(Math.round(fake()! / 100), 3700);
    assert.equal(reads.length, 2);
  } finally {
    Date.now = realNow;
  }
});
