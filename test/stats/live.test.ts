// Stats of real children of a real daemon, checked against /proc read here, and asked for
// the way a Python client would (xmlrpc.client, supervisor_ts.* namespace).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYSTEM_PYTHON, TestDaemon, waitFor } from '../helpers/daemon.js';

// Forks a sleep, allocates and touches 50 MB, writes 1000 bytes, spins ~1.5 s once told to, then waits.
const HOG = `
import os, subprocess, sys, time
child = subprocess.Popen(['/bin/sleep', '1000'])
buf = bytearray(50 * 1024 * 1024)
for i in range(0, len(buf), 4096):
    buf[i] = 1
sys.stdout.write('x' * 1000)
sys.stdout.flush()
while not os.path.exists(sys.argv[1] + '.go'):
    time.sleep(0.05)
t = time.time()
while time.time() - t < 1.5:
    pass
open(sys.argv[1], 'w').write('spun')
time.sleep(1000)
`;

/** Calls `expr` (Python, with `s` the ServerProxy) and returns its JSON. */
function python(url: string, expr: string): unknown {
  const script = `import json, xmlrpc.client\ns = xmlrpc.client.ServerProxy('${url}/RPC2')\ntry:\n    print(json.dumps(${expr}))\nexcept xmlrpc.client.Fault as f:\n    print(json.dumps({'fault': f.faultCode, 'string': f.faultString}))\n`;
  const r = spawnSync(SYSTEM_PYTHON, ['-c', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as unknown;
}

/** The tree of `root` from /proc: pids by parent. */
function treeOf(root: number): number[] {
  const parent = new Map<number, number>();
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const s = readFileSync(`/proc/${n}/stat`, 'latin1');
      parent.set(Number(n), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  return out;
}

function procNumbers(pids: number[]): { cpuSeconds: number; rssBytes: number; threads: number; fds: number } {
  let ticks = 0;
  let rss = 0;
  let threads = 0;
  let fds = 0;
  for (const pid of pids) {
    const f = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    ticks += Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
    threads += Number(rest[17]);
    rss += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))![1]) * 1024;
    fds += readdirSync(`/proc/${pid}/fd`).length;
  }
  return { cpuSeconds: ticks / 100, rssBytes: rss, threads, fds };
}

const d = new TestDaemon({
  inet: true,
  programs:
    `[program:hog]\ncommand=${SYSTEM_PYTHON} %(here)s/hog.py %(here)s/spun\nstartsecs=0\n\n` +
    `[program:flaky]\ncommand=/bin/sh -c 'printf abc; exit 3'\nstartsecs=0\nstartretries=100\n\n` +
    `[program:calm]\ncommand=/bin/sleep 1000\nstartsecs=0\n`,
});
let url = '';

before(async () => {
  writeFileSync(join(d.dir, 'hog.py'), HOG);
  await d.start();
  url = `http://127.0.0.1:${d.port}`;
});
after(() => d.stop());

test('CPU, memory, threads, descriptors and tree size of a program that forks, allocates 50 MB and spins agree with /proc', async () => {
  // The sampler runs only once asked: ask, then let the hog spin.
  python(url, "s.supervisor_ts.getProcessStats('hog')");
  writeFileSync(join(d.dir, 'spun.go'), '');
  await waitFor('the hog to have spun', () => existsSync(join(d.dir, 'spun')), 30_000);
  const pid = Number((await d.info('hog')).pid);
  const pids = treeOf(pid);
  assert.equal(pids.length, 2, `python and its sleep: ${pids.join(' ')}`);
  // Idle now: the numbers stand still, and the sampler (which may read an idle tree only every 4th second) has them.
  const spunAt = statSync(join(d.dir, 'spun')).mtimeMs / 1000;
  const stats = (await waitFor('a sample after the spin', () => {
    const s = python(url, "s.supervisor_ts.getProcessStats('hog')") as Record<string, number>;
    return s.sampled_at > spunAt + 0.1 ? s : undefined;
  }, 20_000)) as Record<string, number | string | boolean>;
  const proc = procNumbers(pids);
  assert.equal(stats.pid, pid);
  assert.equal(stats.processes, 2);
  assert.equal(stats.threads, proc.threads);
  assert.ok(Math.abs(Number(stats.rss_bytes) - proc.rssBytes) < 0.05 * proc.rssBytes, `rss ${stats.rss_bytes} vs /proc ${proc.rssBytes}`);
  assert.ok(Number(stats.rss_bytes) > 50 * 2 ** 20, `50 MB allocated and touched: ${stats.rss_bytes}`);
  assert.ok(Math.abs(Number(stats.cpu_seconds) - proc.cpuSeconds) <= 0.2, `cpu ${stats.cpu_seconds} s vs /proc ${proc.cpuSeconds} s`);
  assert.ok(Number(stats.cpu_seconds) >= 0.2, `it spun: ${stats.cpu_seconds} s`);
  assert.ok(Math.abs(Number(stats.fds) - proc.fds) <= 1, `fds ${stats.fds} vs /proc ${proc.fds}`);
  assert.equal(stats.stdout_bytes, 1000);
  assert.equal(stats.restarts, 0);
  assert.equal(stats.ready, true);
  const history = python(url, "s.supervisor_ts.getProcessStatsHistory('hog', 600)") as { cpu_percent: number[]; rss_bytes: number[]; step: number };
  assert.equal(history.step, 1);
  // The CPU time in the history, not a peak: on a loaded machine the spin is spread thin.
  const spunInHistory = history.cpu_percent.reduce((a, b) => a + b, 0) * history.step / 100;
  assert.ok(spunInHistory >= 0.1, `the spin shows in the history (${spunInHistory} s): ${history.cpu_percent.join(' ')}`);
  assert.ok(history.rss_bytes.at(-1)! > 50 * 2 ** 20);
});

test('restarts, the last exit and output bytes are counted for a program that keeps exiting, and a stop is told apart', async () => {
  const flaky = await waitFor('flaky to have restarted twice', () => {
    const s = python(url, "s.supervisor_ts.getProcessStats('flaky')") as Record<string, number | string>;
    return Number(s.restarts) >= 2 ? s : undefined;
  }, 20_000);
  assert.equal(flaky.last_exit_code, 3);
  assert.equal(flaky.last_exit_signal, 0);
  assert.equal(flaky.last_exit_reason, 'exit status 3; not expected');
  assert.ok(Number(flaky.stdout_bytes) >= 3 * (Number(flaky.restarts) + 1) - 3, `3 bytes per run: ${flaky.stdout_bytes}`);
  await d.call('supervisor.stopProcess', 'calm');
  const calm = python(url, "s.supervisor_ts.getProcessStats('calm')") as Record<string, number | string>;
  assert.deepEqual([calm.last_exit_code, calm.last_exit_signal, calm.last_exit_reason, calm.pid, calm.rss_bytes], [-1, 15, 'terminated by SIGTERM; stopped', 0, 0]);
  assert.ok(Number(calm.last_exit_time) > 0);
});

test('supervisor_ts.* is listed and introspectable next to supervisor.*, and answers faults as Supervisor would', () => {
  const methods = python(url, 's.system.listMethods()') as string[];
  for (const m of ['getProcessStats', 'getAllProcessStats', 'getProcessStatsHistory', 'getDaemonStats']) assert.ok(methods.includes(`supervisor_ts.${m}`), m);
  assert.ok(methods.includes('supervisor.getProcessInfo'));
  assert.deepEqual(python(url, "s.system.methodSignature('supervisor_ts.getProcessStats')"), ['struct', 'string']);
  assert.deepEqual(python(url, "s.supervisor_ts.getProcessStats('nope')"), { fault: 10, string: 'BAD_NAME: nope' });
  assert.deepEqual(python(url, "s.supervisor_ts.getProcessStatsHistory('hog', 0)"), { fault: 2, string: 'INCORRECT_PARAMETERS: points must be between 1 and 600' });
  const all = python(url, 's.supervisor_ts.getAllProcessStats()') as { name: string }[];
  assert.deepEqual(all.map((s) => s.name), ['calm', 'flaky', 'hog']);
  const own = python(url, 's.supervisor_ts.getDaemonStats()') as Record<string, number>;
  assert.equal(own.pid, d.proc!.pid);
  assert.ok(own.rss_bytes > 10 * 2 ** 20 && own.cpu_seconds > 0, JSON.stringify(own));
});
