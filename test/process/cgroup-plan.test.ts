// Which cgroup files each limit becomes (issue #18): v2 names and values, v1 mappings,
// and the limits a machine cannot apply. Fake hierarchies in temp dirs: no root needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planCgroup, type CgroupLayout } from '../../src/process/cgroup-tree.js';
import type { Hierarchy } from '../../src/process/cgroup.js';
import { prlimitArgs } from '../../src/process/limits-exec.js';

const LIMITS = { memoryMax: 256 * 1024 ** 2, memoryHigh: 200 * 1024 ** 2, cpuMax: 0.5, cpuWeight: 200, pidsMax: 64, ioWeight: 100 };

function v1(files: string[], controllers: Hierarchy['controllers']): Hierarchy {
  const base = mkdtempSync(join(tmpdir(), 'svts-cg1-'));
  for (const f of files) writeFileSync(join(base, f), '');
  return { version: 1, base, controllers };
}

test('cgroup v2: one file per limit, in the kernel\'s syntax', () => {
  const h: Hierarchy = { version: 2, base: '/x', controllers: new Set(['memory', 'cpu', 'pids', 'io']) };
  const plan = planCgroup(LIMITS, { hierarchies: [h], problems: [], configuredRoot: true });
  assert.deepEqual(plan.writes.map((w) => [w.file, w.value]), [
    ['memory.max', String(256 * 1024 ** 2)],
    ['memory.high', String(200 * 1024 ** 2)],
    ['cpu.max', '50000 100000'],
    ['cpu.weight', '200'],
    ['pids.max', '64'],
    ['io.weight', 'default 100'],
  ]);
  assert.deepEqual(plan.unsupported, []);
  const unlimited = planCgroup({ ...LIMITS, memoryMax: Infinity, pidsMax: Infinity }, { hierarchies: [h], problems: [], configuredRoot: true });
  assert.equal(unlimited.writes.find((w) => w.file === 'memory.max')?.value, 'max');
  assert.equal(unlimited.writes.find((w) => w.file === 'pids.max')?.value, 'max');
});

test('cgroup v1 beside a controller-less v2: each limit in its controller, weights mapped as systemd does, missing files unsupported', () => {
  const tracker: Hierarchy = { version: 2, base: '/unified', controllers: new Set() };
  const memory = v1(['memory.limit_in_bytes', 'memory.soft_limit_in_bytes'], new Set(['memory'])); // no memsw: no swap accounting
  const cpu = v1(['cpu.cfs_period_us', 'cpu.cfs_quota_us', 'cpu.shares'], new Set(['cpu']));
  const pids = v1(['pids.max'], new Set(['pids']));
  const blkio = v1([], new Set(['io'])); // no blkio.weight without BFQ
  const layout: CgroupLayout = { hierarchies: [tracker, memory, cpu, pids, blkio], problems: [], configuredRoot: false };
  const plan = planCgroup(LIMITS, layout);
  assert.deepEqual(plan.writes.map((w) => [w.hierarchy, w.file, w.value]), [
    [memory, 'memory.limit_in_bytes', String(256 * 1024 ** 2)],
    [memory, 'memory.soft_limit_in_bytes', String(200 * 1024 ** 2)],
    [cpu, 'cpu.cfs_period_us', '100000'],
    [cpu, 'cpu.cfs_quota_us', '50000'],
    [cpu, 'cpu.shares', '2048'],
    [pids, 'pids.max', '64'],
  ]);
  assert.deepEqual(plan.unsupported, ['io_weight']);
  assert.deepEqual(plan.hierarchies, [tracker, memory, cpu, pids], 'the tracking hierarchy first, blkio unused');
});

test('no hierarchy at all: every cgroup limit is unsupported, nothing is written', () => {
  const plan = planCgroup({ ...LIMITS, cpuMax: null }, { hierarchies: [], problems: ['mkdir: EACCES'], configuredRoot: false });
  assert.deepEqual(plan.writes, []);
  assert.deepEqual(plan.unsupported, ['memory_max', 'memory_high', 'cpu_weight', 'pids_max', 'io_weight']);
});

test('rlimits become prlimit options in bytes, with unlimited', () => {
  assert.deepEqual(prlimitArgs({ nofile: { soft: 1024, hard: 4096 }, core: { soft: Infinity, hard: Infinity } }), ['--nofile=1024:4096', '--core=unlimited:unlimited']);
});
