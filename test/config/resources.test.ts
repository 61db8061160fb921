// rlimit_* and cgroup limit keys (issue #18): every value converted once at load, bad ones
// are config errors naming file, line, section, key and value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { OUR_SUPERVISORD } from '../helpers/daemon.js';
import { load, loadError, proc, writeFiles } from './helpers.js';

const prog = (keys: string): string => `[supervisord]\n[program:a]\ncommand=c\n${keys}\n`;

test('rlimits: one value, soft:hard, unlimited and byte sizes; no warnings', () => {
  const cfg = load(prog('rlimit_nofile=1024:4096\nrlimit_nproc=200\nrlimit_core=unlimited\nrlimit_as=512MB\nrlimit_memlock=64KB:unlimited\nrlimit_stack=8MB'));
  const r = proc(cfg, 'a').ext.resources;
  assert.deepEqual(r.rlimits, {
    nofile: { soft: 1024, hard: 4096 },
    nproc: { soft: 200, hard: 200 },
    core: { soft: Infinity, hard: Infinity },
    as: { soft: 512 * 1024 * 1024, hard: 512 * 1024 * 1024 },
    memlock: { soft: 65536, hard: Infinity },
    stack: { soft: 8 * 1024 * 1024, hard: 8 * 1024 * 1024 },
  });
  assert.equal(r.useCgroup, false, 'rlimits alone need no cgroup');
  assert.deepEqual(cfg.warnings, []);
});

test('cgroup limits: memory sizes, cpu_max as a percentage or cores, weights, pids_max; they imply a cgroup', () => {
  const cfg = load(prog('memory_max=256MB\nmemory_high=200MB\ncpu_max=50%\ncpu_weight=200\npids_max=64\nio_weight=50') + '[program:b]\ncommand=c\ncpu_max=2\n[program:c]\ncommand=c\ncgroup=true\n[program:d]\ncommand=c\n');
  const a = proc(cfg, 'a').ext.resources;
  assert.deepEqual(a.cgroup, { memoryMax: 256 * 1024 * 1024, memoryHigh: 200 * 1024 * 1024, cpuMax: 0.5, cpuWeight: 200, pidsMax: 64, ioWeight: 50 });
  assert.equal(a.useCgroup, true);
  assert.equal(proc(cfg, 'b').ext.resources.cgroup.cpuMax, 2);
  assert.equal(proc(cfg, 'c').ext.resources.useCgroup, true, 'cgroup=true: tracking without limits');
  assert.equal(proc(cfg, 'd').ext.resources.useCgroup, false, 'nothing set: no cgroup, as before');
  assert.deepEqual(cfg.warnings, []);
});

test('[supervisord] cgroup_root is resolved against the config file', () => {
  const cfg = load('[supervisord]\ncgroup_root=cg\n');
  assert.equal(cfg.supervisord.cgroupRoot, path.join(cfg.dir, 'cg'));
  assert.equal(load('[supervisord]\n').supervisord.cgroupRoot, null);
});

test('bad limit values name file, line, section, key and value', () => {
  const cases: [string, string][] = [
    ['rlimit_nofile=lots', "Invalid value 'lots' for 'rlimit_nofile' in section [program:a] (file: DIR/supervisord.conf, line 4): 'lots' is not a number or unlimited"],
    ['rlimit_nofile=4096:1024', "Invalid value '4096:1024' for 'rlimit_nofile' in section [program:a] (file: DIR/supervisord.conf, line 4): the soft limit must not be above the hard limit"],
    ['rlimit_as=1:2:3', "Invalid value '1:2:3' for 'rlimit_as' in section [program:a] (file: DIR/supervisord.conf, line 4): must be one value or soft:hard"],
    ['rlimit_core=12XB', "Invalid value '12XB' for 'rlimit_core' in section [program:a] (file: DIR/supervisord.conf, line 4): '12XB' is not a size (a number of bytes, KB, MB or GB, or unlimited)"],
    ['memory_max=0', "Invalid value '0' for 'memory_max' in section [program:a] (file: DIR/supervisord.conf, line 4): must be above 0 (leave the key out for no limit)"],
    ['cpu_max=half', "Invalid value 'half' for 'cpu_max' in section [program:a] (file: DIR/supervisord.conf, line 4): must be a percentage of one core ('50%') or a number of cores ('2')"],
    ['cpu_max=0.1%', "Invalid value '0.1%' for 'cpu_max' in section [program:a] (file: DIR/supervisord.conf, line 4): must be at least 1% of a core"],
    ['cpu_weight=0', "Invalid value '0' for 'cpu_weight' in section [program:a] (file: DIR/supervisord.conf, line 4): must be an integer from 1 to 10000"],
    ['io_weight=20000', "Invalid value '20000' for 'io_weight' in section [program:a] (file: DIR/supervisord.conf, line 4): must be an integer from 1 to 10000"],
    ['pids_max=0', "Invalid value '0' for 'pids_max' in section [program:a] (file: DIR/supervisord.conf, line 4): must be at least 1"],
    ['memory_max=1GB\ncgroup=false', "Invalid value 'false' for 'cgroup' in section [program:a] (file: DIR/supervisord.conf, line 5): memory_max needs a cgroup: remove cgroup = false or memory_max"],
  ];
  for (const [keys, message] of cases) assert.equal(loadError(prog(keys)), message, keys);
});

test('supervisord exits 2 on a bad limit and starts nothing', () => {
  const dir = writeFiles({ 'supervisord.conf': `[supervisord]\nlogfile=%(here)s/l\npidfile=%(here)s/p\n[program:a]\ncommand=sleep 100\nrlimit_nofile=-1\n` });
  const r = spawnSync(OUR_SUPERVISORD, ['-n', '-c', path.join(dir, 'supervisord.conf')], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /Invalid value '-1' for 'rlimit_nofile' in section \[program:a\] \(file: .*supervisord\.conf, line 6\): must not be negative/);
});
