// The sampler's /proc reading and process trees on a /proc of our own making (a temp dir
// laid out like /proc, read by path: budget 0), then on the real /proc with this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcReader, emptyStat, parseStatBytes } from '../../src/stats/procfs.js';
import { ProcessTrees, FULL_SCAN_MS } from '../../src/stats/tree.js';
import { StatsRing } from '../../src/stats/ring.js';
import { StatsSampler } from '../../src/stats/sampler.js';
import { waitFor } from '../helpers/wait.js';

interface Fake {
  pid: number;
  comm?: string;
  ppid: number;
  utime?: number;
  cutime?: number;
  threads?: number;
  rss?: number;
  starttime?: number;
  /** -1: a thread, not a process. */
  exitSignal?: number;
}

/** A /proc/PID/stat line with all 52 fields; the ones the sampler reads come from `f`. */
function statLine(f: Fake): string {
  const fields: (string | number)[] = [f.pid, `(${f.comm ?? 'x'})`, 'S', f.ppid, f.pid, f.pid, 0, -1, 4194560, 10, 0, 0, 0];
  fields.push(f.utime ?? 0, 0, f.cutime ?? 0, 0, 20, 0, f.threads ?? 1, 0, f.starttime ?? 1000 + f.pid, 4096000, f.rss ?? 100);
  while (fields.length < 37) fields.push(fields.length === 33 ? -5 : 0); // a negative field on the way (priority-like)
  fields.push(f.exitSignal ?? 17);
  while (fields.length < 52) fields.push(0);
  return fields.join(' ') + '\n';
}

class FakeProc {
  readonly root = mkdtempSync(join(tmpdir(), 'svts-fakeproc-'));
  lastPid = 0;
  constructor() {
    mkdirSync(join(this.root, 'self', 'fd'), { recursive: true });
    writeFileSync(join(this.root, 'self', 'limits'), 'Max open files            1024                 4096                 files\n');
    this.writeLoadavg();
  }
  add(f: Fake): void {
    mkdirSync(join(this.root, String(f.pid), 'fd'), { recursive: true });
    writeFileSync(join(this.root, String(f.pid), 'stat'), statLine(f));
    if (f.pid > this.lastPid) this.lastPid = f.pid;
    this.writeLoadavg();
  }
  remove(pid: number): void {
    rmSync(join(this.root, String(pid)), { recursive: true, force: true });
  }
  private writeLoadavg(): void {
    writeFileSync(join(this.root, 'loadavg'), `0.00 0.00 0.00 1/100 ${this.lastPid}\n`);
  }
  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

test('a stat line is read from its bytes, a command name with spaces and parentheses included', () => {
  const line = statLine({ pid: 4242, comm: 'we (ird) name)', ppid: 7, utime: 150, cutime: 25, threads: 3, rss: 2560, starttime: 99 });
  const out = emptyStat();
  assert.ok(parseStatBytes(Buffer.from(line), line.length, out, true));
  assert.deepEqual(out, { pid: 4242, ppid: 7, ticks: 175, threads: 3, rssPages: 2560, starttime: 99, exitSignal: 17 });
  const thread = statLine({ pid: 5, ppid: 1, exitSignal: -1 });
  assert.ok(parseStatBytes(Buffer.from(thread), thread.length, out, true));
  assert.equal(out.exitSignal, -1);
  assert.equal(parseStatBytes(Buffer.from('garbage'), 7, out), false);
});

test('a tree is the root and every descendant; new ones are found from the new pids alone, threads left out', () => {
  const fake = new FakeProc();
  try {
    fake.add({ pid: 100, ppid: 1, utime: 10, rss: 1000 });
    fake.add({ pid: 101, ppid: 100, utime: 5, rss: 10, threads: 2 });
    fake.add({ pid: 102, ppid: 101, utime: 1, cutime: 4, rss: 1 });
    fake.add({ pid: 103, ppid: 1 }); // not ours
    const trees = new ProcessTrees(new ProcReader(fake.root, 0));
    let now = 0;
    trees.update(new Set([100]), now);
    let t = trees.sum().get(100)!;
    assert.deepEqual([t.ticks, t.rssPages, t.threads, t.processes], [20, 1011, 4, 3]);
    assert.equal(trees.scans.full, 1);

    fake.add({ pid: 104, ppid: 102, utime: 7 }); // a grandchild's child, forked since
    fake.add({ pid: 105, ppid: 100, exitSignal: -1 }); // a thread of 100's children would claim 100 as parent
    trees.update(new Set([100]), (now += 1000));
    t = trees.sum().get(100)!;
    assert.deepEqual([t.ticks, t.processes], [27, 4]);
    assert.deepEqual(trees.scans, { full: 1, listed: 0, probed: 1 });

    // 101 exits: its children were reparented, they are no longer in the tree.
    fake.remove(101);
    trees.update(new Set([100]), (now += 1000));
    t = trees.sum().get(100)!;
    assert.deepEqual([t.processes, t.ticks], [1, 10], 'its descendants go with it');

    // Nothing forked anywhere (same last pid): no listing, no probing.
    trees.update(new Set([100]), (now += 1000));
    assert.deepEqual(trees.scans, { full: 1, listed: 0, probed: 1 });
    // Past FULL_SCAN_MS everything is looked at again.
    trees.update(new Set([100]), (now += FULL_SCAN_MS));
    assert.equal(trees.scans.full, 2);
    // A root no longer running takes its tree with it.
    trees.update(new Set(), (now += 1000));
    assert.equal(trees.size, 0);
  } finally {
    fake.dispose();
  }
});

test('a tree that uses no CPU is read every 2nd pass after 3 idle readings, every 4th after 6, and at every pass again once it does', () => {
  const fake = new FakeProc();
  try {
    fake.add({ pid: 100, ppid: 1, utime: 10 });
    const trees = new ProcessTrees(new ProcReader(fake.root, 0));
    trees.update(new Set([100]), 0);
    const measured = (): boolean => trees.sum().get(100)!.measured;
    const seen = Array.from({ length: 13 }, measured);
    assert.deepEqual(seen.map((m) => (m ? 'R' : '-')).join(''), 'RRRRR-R-R---R');
    fake.add({ pid: 100, ppid: 1, utime: 11 });
    assert.deepEqual(Array.from({ length: 5 }, measured).map((m) => (m ? 'R' : '-')).join(''), '---RR', 'busy again: read at every pass');
  } finally {
    fake.dispose();
  }
});

test('kept-open descriptors stay within the budget, and are all closed when the trees are cleared', () => {
  const reader = new ProcReader('/proc', 4);
  const trees = new ProcessTrees(reader);
  trees.update(new Set([process.pid]), 0);
  const own = trees.sum().get(process.pid)!;
  assert.equal(reader.descriptors, 3, 'stat, schedstat and fd of this process');
  assert.ok(own.threads >= 1 && own.fds >= 3, `threads ${own.threads}, fds ${own.fds}`);
  const status = readFileSync('/proc/self/status', 'utf8');
  assert.equal(own.threads, Number(/^Threads:\s+(\d+)/m.exec(status)![1]));
  trees.clear();
  assert.equal(reader.descriptors, 0);
});

test('a ring keeps the newest samples, averages them into buckets aligned on the newest, and fits 10 minutes in 8.2 KiB', () => {
  const ring = new StatsRing(5);
  for (let i = 1; i <= 7; i++) ring.push({ cpuPercent: i * 10, rssBytes: i * 1024, fds: i, threads: 1 }, 1000 + i);
  assert.equal(ring.length, 5);
  const all = ring.history();
  assert.deepEqual(all.cpuPercent, [30, 40, 50, 60, 70]);
  assert.deepEqual(all.rssBytes, [3072, 4096, 5120, 6144, 7168]);
  assert.equal(all.end, 1007);
  const two = ring.history(2);
  assert.deepEqual([two.step, two.cpuPercent, two.fds], [3, [35, 60], [4, 6]]);
  assert.deepEqual(ring.history(10, 2).cpuPercent, [60, 70]);
  ring.amendCpu(2, 5);
  assert.deepEqual(ring.history().cpuPercent, [30, 40, 50, 5, 5]);
  assert.ok(StatsRing.bytesFor(600) * 1000 < 10e6, '1000 processes of history under 10 MB');
});

test('the sampler starts on demand, has CPU rates after its second pass, and stops (descriptors and history gone) once nobody asks', async () => {
  const self = { pid: process.pid };
  const sampler = new StatsSampler(() => [self], { intervalMs: 50, idleStopMs: 300 });
  assert.equal(sampler.running, false);
  assert.equal(sampler.latest(self), null, 'nothing before anyone asks');
  await sampler.warm();
  assert.ok(sampler.running);
  const s = sampler.latest(self)!;
  assert.equal(s.pid, process.pid);
  assert.ok(s.rssBytes > 10 * 2 ** 20 && s.threads >= 1 && s.processes >= 1, JSON.stringify(s));
  const usage = process.cpuUsage();
  assert.ok(s.cpuSeconds > 0 && s.cpuSeconds <= (usage.user + usage.system) / 1e6 + 0.05, `${s.cpuSeconds} s of CPU`);
  assert.equal(sampler.tracking, 1);
  await waitFor('the sampler to stop', () => !sampler.running, 5000);
  assert.equal(sampler.latest(self), null);
  assert.equal(sampler.tracking, 0);
  sampler.stop();
});
