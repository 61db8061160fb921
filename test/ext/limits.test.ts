// Per-program resource limits (issue #18) with real daemons and real programs: rlimits in
// /proc/PID/limits, cgroup v2 files in a temporary cgroup_root, and, as root on a machine
// with cgroups (CI), memory_max and pids_max enforced and reported, a double-forked
// grandchild killed on stop, and a SIGKILLed daemon's leftovers found by their cgroup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, startDaemon, TestDaemon, waitFor } from '../helpers/daemon.js';

function ppidOf(pid: number): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** Why the cgroup tests cannot run here, or null. */
function cgroupSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to create cgroups (CI runs as root)';
  for (const dir of ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/pids', '/sys/fs/cgroup']) {
    const probe = join(dir, `supervisor-ts-probe-${process.pid}`);
    try {
      mkdirSync(probe);
      rmdirSync(probe);
      return null;
    } catch {
      /* next */
    }
  }
  return 'no writable cgroup hierarchy under /sys/fs/cgroup';
}
const skipCgroups = cgroupSkipReason();
/** A v1 memory hierarchy (this project's CI machine) or a v2 one with the memory controller. */
const hasMemoryController = ((): boolean => {
  try {
    return readdirSync('/sys/fs/cgroup/memory').includes('memory.limit_in_bytes') || readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').includes('memory');
  } catch {
    return false;
  }
})();

function limitsOf(pid: number): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (const line of readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (m) out[m[1]!] = [m[2]!, m[3]!];
  }
  return out;
}

test('each rlimit_* is in the program\'s /proc/PID/limits, and the program keeps its pid', async () => {
  const d = await startDaemon({
    programs:
      '[program:lim]\ncommand=sleep 1000\nstartsecs=0\n' +
      'rlimit_nofile=100:200\nrlimit_nproc=300:400\nrlimit_core=unlimited\nrlimit_as=1GB\nrlimit_memlock=64KB:128KB\nrlimit_stack=4MB:8MB\n',
  });
  try {
    const info = await d.waitState('lim', 'RUNNING');
    const pid = Number(info.pid);
    // prlimit sets the limits on itself and execs sleep: once sleep runs, they are in place.
    await waitFor('sleep exec\'d', () => /sleep\x001000/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')), 10_000);
    const l = limitsOf(pid);
    assert.deepEqual(l['Max open files'], ['100', '200']);
    assert.deepEqual(l['Max processes'], ['300', '400']);
    assert.deepEqual(l['Max core file size'], ['unlimited', 'unlimited']);
    assert.deepEqual(l['Max address space'], [String(1024 ** 3), String(1024 ** 3)]);
    assert.deepEqual(l['Max locked memory'], ['65536', '131072']);
    assert.deepEqual(l['Max stack size'], [String(4 * 1024 ** 2), String(8 * 1024 ** 2)]);
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /sleep\x001000/, 'the pid is the program itself, not a wrapper');
  } finally {
    await d.stop();
  }
});

test('with cgroup_root pointing at a v2 tree, the limit files and cgroup.procs are written before exec; when the tree disappears, programs still start', async (t) => {
  const d = new TestDaemon({
    supervisord: 'cgroup_root=%(here)s/cg\n',
    programs: '[program:web]\ncommand=sleep 1000\nstartsecs=0\nmemory_max=256MB\nmemory_high=200MB\ncpu_max=150%\ncpu_weight=300\npids_max=64\nio_weight=50\n',
  });
  const root = join(d.dir, 'cg');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  writeFileSync(join(root, 'cgroup.subtree_control'), '');
  await d.start();
  t.after(() => d.stop());
  const pid = Number((await d.waitState('web', 'RUNNING')).pid);
  const leaf = readdirSync(root).find((n) => n.startsWith('web%3Aweb@'));
  assert.ok(leaf, `no cgroup for web in ${readdirSync(root).join(' ')}`);
  const f = (name: string): string => readFileSync(join(root, leaf, name), 'utf8').trim();
  assert.equal(f('memory.max'), String(256 * 1024 ** 2));
  assert.equal(f('memory.high'), String(200 * 1024 ** 2));
  assert.equal(f('cpu.max'), '150000 100000');
  assert.equal(f('cpu.weight'), '300');
  assert.equal(f('pids.max'), '64');
  assert.equal(f('io.weight'), 'default 50');
  // Written by the child between fork and exec (startsecs=0 is RUNNING at the fork).
  await waitFor(`pid ${pid} in cgroup.procs`, () => {
    try {
      return f('cgroup.procs') === String(pid);
    } catch {
      return false;
    }
  }, 10_000);
  assert.equal(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8'), '+memory +cpu +pids +io');
  assert.doesNotMatch(d.mainLog(), /cannot be applied/);

  rmSync(root, { recursive: true, force: true });
  await d.call('supervisor.stopProcess', 'web');
  await d.call('supervisor.startProcess', 'web');
  const again = Number((await d.waitState('web', 'RUNNING')).pid);
  assert.ok(alive(again));
  assert.match(d.mainLog(), /WARN web: spawning without its cgroup: can't create cgroup \S+cg\/web%3Aweb@\S+: ENOENT/);
});

test('a grandchild that double-forks out of the process group is still killed when its program stops', { skip: skipCgroups ?? false }, async () => {
  const d = await startDaemon({
    programs: `[program:forker]\ncommand=sh -c '(setsid sh -c "echo \\$\\$ > gc.pid; exec sleep 1000" &); exec sleep 1000'\ndirectory=%(here)s\ncgroup=true\nstopwaitsecs=2\nstartsecs=0\n`,
  });
  try {
    await d.waitState('forker', 'RUNNING');
    const gc = await waitFor('grandchild pid', () => {
      try {
        return Number(readFileSync(join(d.dir, 'gc.pid'), 'utf8')) || undefined;
      } catch {
        return undefined;
      }
    }, 10_000);
    assert.ok(alive(gc));
    await d.call('supervisor.stopProcess', 'forker');
    await waitFor(`grandchild ${gc} gone`, () => !alive(gc), 10_000);
    assert.match(d.mainLog(), new RegExp(`forker: 1 process left in its cgroup after it exited \\(pid ${gc}\\): sending SIGTERM`));
  } finally {
    await d.stop();
  }
});

test('a daemon SIGKILLed and started again finds what its program left by its cgroup and stops it before autostart', { skip: skipCgroups ?? false }, async () => {
  const programs = `[program:forker]\ncommand=sh -c '(setsid sh -c "echo \\$\\$ > gc.pid; exec sleep 1000" &); exec sleep 1000'\ndirectory=%(here)s\ncgroup=true\nstopwaitsecs=2\nstartsecs=0\n`;
  const d = await startDaemon({ programs });
  try {
    const first = Number((await d.waitState('forker', 'RUNNING')).pid);
    const gc = await waitFor('grandchild pid', () => {
      try {
        return Number(readFileSync(join(d.dir, 'gc.pid'), 'utf8')) || undefined;
      } catch {
        return undefined;
      }
    }, 10_000);
    d.proc!.kill('SIGKILL');
    await waitFor('daemon gone', () => d.proc!.exitCode !== null || d.proc!.signalCode !== null, 10_000);
    assert.ok(alive(gc) && alive(first), 'the program and its grandchild outlive the daemon');
    await d.start();
    await waitFor(`grandchild ${gc} gone`, () => !alive(gc), 15_000);
    await waitFor(`first child ${first} gone`, () => !alive(first), 15_000);
    assert.match(d.mainLog(), new RegExp(`found \\d process(es)? of 'forker:forker' left by a previous supervisord in cgroup \\S+ \\(pid [0-9, ]*${gc}`));
    await d.waitState('forker', 'RUNNING');
  } finally {
    await d.stop();
  }
});

const LISTENER = `import sys
while True:
    sys.stdout.write('READY\\n'); sys.stdout.flush()
    h = dict(x.split(':', 1) for x in sys.stdin.readline().split())
    payload = sys.stdin.read(int(h['len']))
    with open(sys.argv[1], 'a') as f: f.write(h['eventname'] + ' ' + payload + '\\n')
    sys.stdout.write('RESULT 2\\nOK'); sys.stdout.flush()
`;

test('memory_max is enforced and the OOM kill is reported as such: log line, exit description, PROCESS_LIMIT_OOM event', { skip: skipCgroups ?? (!hasMemoryController && 'no memory controller') }, async () => {
  const d = new TestDaemon({
    programs:
      '[eventlistener:limits]\ncommand=/usr/bin/python3 %(here)s/listener.py %(here)s/events.txt\nevents=PROCESS_LIMIT\n\n' +
      "[program:hog]\ncommand=/usr/bin/python3 -c 'import time; b = bytearray(200 * 1024 * 1024); time.sleep(100)'\nmemory_max=32MB\nstartsecs=0\nautorestart=false\n",
  });
  writeFileSync(join(d.dir, 'listener.py'), LISTENER);
  await d.start();
  try {
    await d.waitState('hog', 'EXITED', 20_000);
    const log = d.mainLog();
    assert.match(log, /exited: hog \(killed by the kernel: out of memory; not expected\)/);
    assert.match(log, /hog: the kernel killed its main process: out of memory \(memory_max 33554432 bytes\)/);
    await waitFor('PROCESS_LIMIT_OOM event', () => {
      try {
        return /PROCESS_LIMIT_OOM processname:hog groupname:hog pid:\d+ count:1/.test(readFileSync(join(d.dir, 'events.txt'), 'utf8'));
      } catch {
        return false;
      }
    }, 10_000);
  } finally {
    await d.stop();
  }
});

test('pids_max is enforced: forks beyond it fail, and the refusals are logged', { skip: skipCgroups ?? false }, async () => {
  const d = await startDaemon({
    programs: "[program:forky]\ncommand=sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1000 & done; wait'\npids_max=4\nstartsecs=0\nstopasgroup=true\n",
  });
  try {
    const pid = Number((await d.waitState('forky', 'RUNNING')).pid);
    await waitFor('refused forks logged', () => /forky: \d+ forks? refused by pids_max \(4\)/.test(d.mainLog()), 10_000);
    const log = d.mainLog();
    const cg = /program cgroups in (\S+)/.exec(log);
    assert.ok(cg, log);
    const children = readdirSync('/proc').filter((n) => /^\d+$/.test(n) && ppidOf(Number(n)) === pid);
    assert.ok(children.length <= 3, `at most pids_max - 1 children beside the shell, got ${children.length}`);
  } finally {
    await d.stop();
  }
});

test('a program that `update` adds with cgroup keys gets its cgroup, though none had one at start', { skip: skipCgroups ?? false }, async () => {
  const d = await startDaemon({ programs: '[program:plain]\ncommand=sleep 1000\nstartsecs=0\n' });
  try {
    const plainPid = Number((await d.waitState('plain', 'RUNNING')).pid);
    assert.doesNotMatch(readFileSync(`/proc/${plainPid}/cgroup`, 'utf8'), /supervisord-/, 'no cgroup keys: no cgroup, as before');
    await d.writeConfig('[program:plain]\ncommand=sleep 1000\nstartsecs=0\n[program:capped]\ncommand=sleep 1000\nstartsecs=0\npids_max=50\n');
    await d.call('supervisor.reloadConfig');
    await d.call('supervisor.addProcessGroup', 'capped');
    const pid = Number((await d.waitState('capped', 'RUNNING')).pid);
    // The wrapper joins the cgroup right after the fork, before exec: wait for that, not for RUNNING.
    await waitFor('capped in its cgroup', () => /supervisord-[0-9a-f]{8}\/capped%3Acapped@/.test(readFileSync(`/proc/${pid}/cgroup`, 'utf8')), 10_000);
    await waitFor('capped exec\'d', () => readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('/usr/bin/sleep') || readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('/bin/sleep'), 10_000);
  } finally {
    await d.stop();
  }
});

test('at shutdown, what the last program left in its cgroup gets its stop signal and stopwaitsecs before SIGKILL', { skip: skipCgroups ?? false }, async () => {
  // The grandchild traps TERM, notes it, and exits a moment later: a SIGKILL at detach would lose the note.
  // Its output goes to /dev/null: the daemon closes the pipes when the main process exits, and
  // dash's 'Terminated' notice on a closed pipe would end it by SIGPIPE.
  const d = await startDaemon({
    programs: `[program:forker]\ncommand=sh -c '(setsid sh -c "exec >/dev/null 2>&1; trap \\"sleep 0.5; echo got TERM > term.txt; exit 0\\" TERM; echo \\$\\$ > gc.pid; while :; do sleep 0.1; done" &); exec sleep 1000'\ndirectory=%(here)s\ncgroup=true\nstopwaitsecs=5\nstartsecs=0\n`,
  });
  await d.waitState('forker', 'RUNNING');
  await waitFor('grandchild pid', () => {
    try {
      return Number(readFileSync(join(d.dir, 'gc.pid'), 'utf8')) || undefined;
    } catch {
      return undefined;
    }
  }, 10_000);
  await d.stop({ keep: true });
  assert.equal(readFileSync(join(d.dir, 'term.txt'), 'utf8').trim(), 'got TERM');
  assert.doesNotMatch(d.mainLog(), /killing 1 process left in its cgroup/);
  rmSync(d.dir, { recursive: true, force: true });
});

test('where no cgroup can be made, one line says so and the programs run as before (process groups)', async () => {
  // /proc refuses mkdir even to root: the same path as a non-root daemon without delegation.
  const d = await startDaemon({
    supervisord: 'cgroup_root=/proc/supervisor-ts-no-such-dir\n',
    programs: '[program:a]\ncommand=sleep 1000\nstartsecs=0\nmemory_max=64MB\n[program:b]\ncommand=sleep 1000\nstartsecs=0\npids_max=10\n',
  });
  try {
    await d.waitStates({ 'a:a': 'RUNNING', 'b:b': 'RUNNING' });
    const lines = d.mainLog().split('\n').filter((l) => /cgroup/.test(l));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /WARN cannot use cgroups \(mkdir \/proc\/supervisor-ts-no-such-dir: ENOENT\): a, b run without cgroup limits or tracking \(process groups only\)/);
  } finally {
    await d.stop();
  }
});

test('leftovers are found by cgroup even when the restarted daemon\'s config no longer asks for cgroups', { skip: skipCgroups ?? false }, async () => {
  const d = await startDaemon({
    programs: `[program:forker]\ncommand=sh -c '(setsid sh -c "echo \\$\\$ > gc.pid; exec sleep 1000" &); exec sleep 1000'\ndirectory=%(here)s\ncgroup=true\nstopwaitsecs=2\nstartsecs=0\n`,
  });
  try {
    await d.waitState('forker', 'RUNNING');
    const gc = await waitFor('grandchild pid', () => {
      try {
        return Number(readFileSync(join(d.dir, 'gc.pid'), 'utf8')) || undefined;
      } catch {
        return undefined;
      }
    }, 10_000);
    d.proc!.kill('SIGKILL');
    await waitFor('daemon gone', () => d.proc!.exitCode !== null || d.proc!.signalCode !== null, 10_000);
    d.opts.programs = '[program:forker]\ncommand=sleep 1000\nstartsecs=0\n';
    await d.start();
    await waitFor(`grandchild ${gc} gone`, () => !alive(gc), 15_000);
    assert.match(d.mainLog(), new RegExp(`found \\d process(es)? of 'forker:forker' left by a previous supervisord`));
  } finally {
    await d.stop();
  }
});
