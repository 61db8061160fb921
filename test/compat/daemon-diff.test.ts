// The same config under Debian's Supervisor 4.2.5 and under ours: the same states, the
// same child log file names and contents, the same main-log lifecycle lines per process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasRealSupervisor, startDaemon, waitFor, type TestDaemon } from '../helpers/daemon.js';

const PROGRAMS =
  '[program:longrun]\ncommand=sh -c "echo started; echo warn >&2; exec sleep 1000"\nstartsecs=1\n\n' +
  '[program:oneshot]\ncommand=sh -c "echo done; exit 0"\nstartsecs=0\nautorestart=unexpected\n\n' +
  '[program:failing]\ncommand=sh -c "echo boom >&2; exit 4"\nstartsecs=1\nstartretries=1\n\n' +
  '[program:badexit]\ncommand=sh -c "sleep 1.2; exit 7"\nstartsecs=1\nautorestart=false\n\n' +
  '[program:missing]\ncommand=/no/such/binary\nstartretries=0\n\n' +
  '[program:merged]\ncommand=sh -c "echo out; echo err >&2; exec sleep 1000"\nredirect_stderr=true\nstartsecs=0\n' +
  'stdout_logfile=%(here)s/merged.log\n\n' +
  '[program:pool]\ncommand=sh -c "echo worker $SUPERVISOR_PROCESS_NAME; exec sleep 1000"\nnumprocs=2\n' +
  'process_name=%(program_name)s-%(process_num)d\nstartsecs=0\n\n' +
  '[program:idle]\ncommand=sleep 1000\nautostart=false\n\n' +
  '[group:batch]\nprograms=oneshot,badexit\npriority=10\n';

interface Snapshot {
  states: Record<string, string>;
  logNames: string[];
  logContents: Record<string, string>;
  lifecycle: Record<string, string[]>;
}

const SETTLE = ['longrun', 'batch:oneshot', 'failing', 'batch:badexit', 'missing', 'merged', 'pool:pool-0', 'pool:pool-1'];
const FINAL: Record<string, string> = {
  longrun: 'RUNNING',
  'batch:oneshot': 'EXITED',
  failing: 'FATAL',
  'batch:badexit': 'EXITED',
  missing: 'FATAL',
  merged: 'RUNNING',
  'pool:pool-0': 'RUNNING',
  'pool:pool-1': 'RUNNING',
};

/** What each child writes before it exits or execs sleep: [process, channel, text]. */
const OUTPUT: [string, 'Stdout' | 'Stderr', string][] = [
  ['longrun', 'Stdout', 'started\n'],
  ['longrun', 'Stderr', 'warn\n'],
  ['batch:oneshot', 'Stdout', 'done\n'],
  ['failing', 'Stderr', 'boom\nboom\n'], // startretries=1: two attempts
  ['merged', 'Stdout', 'out\n'],
  ['merged', 'Stdout', 'err\n'],
  ['pool:pool-0', 'Stdout', 'worker pool-0\n'],
  ['pool:pool-1', 'Stdout', 'worker pool-1\n'],
];

async function snapshot(d: TestDaemon): Promise<Snapshot> {
  for (const n of SETTLE) await d.waitState(n, FINAL[n]!, 20_000);
  // Child output reaches the files a little after the state changes (pipe reads, and our
  // 20 ms flush timer): wait for all of it rather than for a fixed 500 ms.
  await waitFor('child output in the logs', async () => {
    for (const [name, ch, text] of OUTPUT) {
      if (!String(await d.call(`supervisor.readProcess${ch}Log`, name, 0, 0)).includes(text)) return false;
    }
    return true;
  }, 20_000, 100);
  const all = (await d.call('supervisor.getAllProcessInfo')) as Record<string, string | number>[];
  const states: Record<string, string> = {};
  for (const p of all) {
    const desc = String(p.description)
      .replace(/pid \d+, uptime \d+:\d\d:\d\d/, 'pid N, uptime T')
      .replace(/^\w{3} \d\d \d\d:\d\d [AP]M$/, 'STOPTIME');
    states[`${p.group}:${p.name}`] = `${p.statename} | ${desc} | exit ${p.exitstatus} | ${p.spawnerr}`;
  }
  const names = readdirSync(d.dir).filter((f) => f.endsWith('.log') && f !== 'supervisord.log');
  const norm = (f: string): string => f.replace(/---supervisor-[a-z0-9_]{8}\.log$/, '---supervisor-XXXXXXXX.log');
  const logContents: Record<string, string> = {};
  for (const f of names) logContents[norm(f)] = readFileSync(join(d.dir, f), 'utf8');
  const lifecycle: Record<string, string[]> = {};
  for (const line of readFileSync(d.logfile, 'utf8').split('\n')) {
    const m = /^\S+ \S+ (\w+) (spawned|success|exited|gave up|spawnerr): (.*)$/.exec(line);
    if (!m) continue;
    const [, level, kind, rest] = m;
    const name = kind === 'spawnerr' ? 'spawnerr' : /^'?([\w-]+)/.exec(rest!)![1]!;
    (lifecycle[name] ??= []).push(`${level} ${kind}: ${rest!.replace(/pid \d+/, 'pid N')}`);
  }
  for (const lines of Object.values(lifecycle)) {
    // With startsecs=0, whether Supervisor logs "success" before a near-instant exit depends
    // on its poll loop's timing; ours always does. Compare everything else.
    for (let i = lines.length - 2; i >= 0; i--) {
      if (lines[i]!.includes('> than 0 seconds') && lines[i + 1]!.includes('exited:')) lines.splice(i, 1);
    }
  }
  return { states, logNames: names.map(norm).sort(), logContents, lifecycle };
}

test('the same config gives the same states, log names, log contents and lifecycle log lines as Supervisor 4.2.5', { timeout: 120_000 }, async (t) => {
  if (!hasRealSupervisor()) {
    t.skip('Debian supervisor not installed');
    return;
  }
  const results: Snapshot[] = [];
  for (const real of [true, false]) {
    const d = await startDaemon({ programs: PROGRAMS, real, supervisord: 'loglevel=info' });
    try {
      results.push(await snapshot(d));
    } finally {
      await d.stop();
    }
  }
  const [theirs, ours] = results as [Snapshot, Snapshot];
  assert.deepEqual(ours.states, theirs.states);
  assert.deepEqual(ours.logNames, theirs.logNames);
  assert.deepEqual(ours.logContents, theirs.logContents);
  assert.deepEqual(ours.lifecycle, theirs.lifecycle);
});

test('the real supervisorctl and the real daemon agree with ours on a status table', { timeout: 60_000 }, async (t) => {
  if (!hasRealSupervisor()) {
    t.skip('Debian supervisor not installed');
    return;
  }
  const d = await startDaemon({ programs: PROGRAMS });
  try {
    await d.waitState('longrun', 'RUNNING', 10_000);
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('/usr/bin/supervisorctl', ['-c', d.conf, 'status', 'longrun', 'idle'], { encoding: 'utf8' });
    assert.equal(r.status, 3, r.stdout + r.stderr); // idle is STOPPED
    assert.match(r.stdout, /^idle\s+STOPPED\s+Not started$/m);
    assert.match(r.stdout, /^longrun\s+RUNNING\s+pid \d+, uptime 0:00:\d\d$/m);
  } finally {
    await d.stop();
  }
});
